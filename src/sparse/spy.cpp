// PNG output through libpng (its errors longjmp; they come back as IoError).
#include "mammoth/sparse/spy.hpp"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <memory>

namespace mammoth::sparse {

SpyGeometry spy_geometry(std::int64_t rows, std::int64_t cols, std::int64_t size) {
  if (size < 1) throw Error("spy: --size must be at least 1, got " + std::to_string(size));
  SpyGeometry g;
  const std::int64_t longest = std::max<std::int64_t>({rows, cols, std::int64_t{1}});
  g.cell = static_cast<double>(longest) / static_cast<double>(size);
  if (g.cell < 1) g.cell = 1.0 / std::floor(1.0 / g.cell);  // whole pixels per cell
  g.width = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(static_cast<double>(cols) / g.cell)));
  g.height = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(static_cast<double>(rows) / g.cell)));
  return g;
}

void write_gray_png(const std::string& path, std::int64_t width, std::int64_t height,
                    const std::vector<std::uint8_t>& pixels) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) throw_io_error(path, "cannot create", errno);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    throw Error(path + ": libpng could not start");
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw IoError(path + ": libpng failed while writing (disk full?)", errno);
  }
  png_init_io(png, f.get());
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (std::int64_t y = 0; y < height; ++y) png_write_row(png, const_cast<png_bytep>(pixels.data() + y * width));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fflush(f.get()) != 0) throw_io_error(path, "cannot write", errno);
}

}  // namespace mammoth::sparse
