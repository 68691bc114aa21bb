// Attributes of a file, group or dataset: numeric scalars and small arrays (AnyArray,
// 0-d for a scalar) and strings (written as h5py writes str: variable-length UTF-8).
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "mammoth/any_array.hpp"
#include "mammoth/h5/handle.hpp"

namespace mammoth::h5 {

using AttributeValue = std::variant<AnyArray, std::string>;

// One object's attributes; holds its own reference to the object, so it stays valid
// after the group or dataset it came from is gone.
class Attributes {
 public:
  Attributes(Hid object, std::string path);
  Attributes(const Attributes& other) : Attributes(other.object_.get(), other.path_) {}
  Attributes(Attributes&&) noexcept = default;
  Attributes& operator=(Attributes&&) noexcept = default;
  Attributes& operator=(const Attributes& other) { return *this = Attributes(other); }

  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  AttributeValue read(const std::string& name) const;
  // Numeric attributes converted to T (TypeError for strings).
  template <Scalar T>
  T read_scalar(const std::string& name) const {
    T value{};
    read_into(name, &value, dtype_of<T>());
    return value;
  }
  std::string read_string(const std::string& name) const;

  // Writes (replacing any attribute of that name).
  void write(const std::string& name, const AnyArray& value) const;
  void write(const std::string& name, const std::string& value) const;
  void write(const std::string& name, const char* value) const { write(name, std::string(value)); }
  template <Scalar T>
  void write(const std::string& name, T value) const {
    write(name, AnyArray(NdArray<T>::scalar(value)));
  }
  void remove(const std::string& name) const;

 private:
  void read_into(const std::string& name, void* dst, DType type) const;
  std::string where(const std::string& name) const { return path_ + " attribute '" + name + "'"; }

  Handle object_;
  std::string path_;
};

}  // namespace mammoth::h5
