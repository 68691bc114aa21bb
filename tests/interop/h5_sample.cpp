// `h5_sample FILE.h5`, a test fixture writer: one file with every layout, filter, dtype
// and attribute kind mammoth::h5 produces, so the interop test can check h5py reads it
// all. Values are simple formulas (see tests/interop/test_h5.py) so numpy can predict them.
#include <complex>
#include <cstdio>
#include <exception>
#include <numeric>

#include "mammoth/h5.hpp"

namespace mammoth {
namespace {

template <Scalar T>
NdArray<T> arange(const Shape& shape) {
  NdArray<T> a = NdArray<T>::empty(shape);
  for (std::int64_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<T>(i);
  return a;
}

void write_dtypes(h5::Group g) {
  // i % 2 fits every type; complex values are i + (i % 3)j.
  for (ScalarType t :
       {ScalarType::Bool, ScalarType::Int8, ScalarType::Int16, ScalarType::Int32, ScalarType::Int64, ScalarType::UInt8,
        ScalarType::UInt16, ScalarType::UInt32, ScalarType::UInt64, ScalarType::Float16, ScalarType::Float32,
        ScalarType::Float64, ScalarType::Complex64, ScalarType::Complex128}) {
    for (ByteOrder order : {ByteOrder::Little, ByteOrder::Big}) {
      const DType d(t, order);
      if (d.itemsize() == 1 && order == ByteOrder::Big) continue;
      std::string name = d.descr();
      name = (name[0] == '<' ? "le_" : name[0] == '>' ? "be_" : "") + d.name().substr(0, d.name().find(' '));
      h5::Dataset ds = g.create_dataset(name, {6}, d);
      if (d.kind() == Kind::Complex) {
        std::vector<std::complex<double>> v;
        for (int i = 0; i < 6; ++i) v.emplace_back(i, i % 3);
        ds.write(Box::whole({6}), v.data(), DType(ScalarType::Complex128));
      } else {
        const std::vector<double> v{0, 1, 0, 1, 1, 0};
        ds.write(Box::whole({6}), v.data(), DType(ScalarType::Float64));
      }
    }
  }
}

void write_sample(const std::string& path) {
  h5::File f(path, "w");
  f.create_dataset("contiguous", arange<float>({20, 30}));
  h5::DatasetOptions chunked;
  chunked.chunks = {7, 9};
  f.create_dataset("chunked", arange<std::int64_t>({50, 40}), chunked);
  h5::DatasetOptions gz;
  gz.chunks = {16, 16};
  gz.gzip_level = 5;
  gz.shuffle = true;
  f.create_dataset("gzip_shuffle", arange<double>({64, 64}), gz);
  h5::DatasetOptions checked;
  checked.chunks = {10};
  checked.fletcher32 = true;
  f.create_dataset("fletcher32", arange<float>({25}), checked);
  h5::DatasetOptions resizable;
  resizable.maxshape = {h5::kUnlimited, 5};
  h5::Dataset r = f.create_dataset("resizable", {0, 5}, DType(ScalarType::Int32), resizable);
  r.resize({7, 5});
  r.write_all(arange<std::int32_t>({7, 5}));
  h5::DatasetOptions filled;
  filled.fill_value = 3.5;
  h5::Dataset fd = f.create_dataset("filled", {10}, DType(ScalarType::Float32), filled);
  fd.write(Box{{0}, {5}}, arange<float>({5}).data(), DType(ScalarType::Float32));
  f.create_dataset("nested/a/b/deep", arange<std::uint16_t>({3}));
  write_dtypes(f.create_group("dtypes"));
  for (const h5::Attributes& a : {f.attrs(), f.group("nested/a").attrs(), f.dataset("contiguous").attrs()}) {
    a.write("int", std::int64_t{-7});
    a.write("float", 2.5);
    a.write("flag", true);
    a.write("text", "héllo");
    a.write("vector", AnyArray(arange<double>({4})));
  }
}

}  // namespace
}  // namespace mammoth

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: h5_sample FILE.h5\n");
    return 2;
  }
  try {
    mammoth::write_sample(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "h5_sample: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
