// spy: the sparsity pattern as a PNG (the notebook's matshow). Each pixel covers a
// block of the matrix and is as dark as the block is dense (white: empty, black: every
// cell stored); a matrix smaller than the image gets square cells of several pixels.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "mammoth/sparse/csr.hpp"

namespace mammoth::sparse {

// Writes an 8-bit grayscale PNG (row-major pixels) through libpng.
void write_gray_png(const std::string& path, std::int64_t width, std::int64_t height,
                    const std::vector<std::uint8_t>& pixels);

struct SpyGeometry {
  std::int64_t width = 0, height = 0;
  double cell = 1;  // matrix rows (or cols) per pixel, < 1 when cells are enlarged
};
SpyGeometry spy_geometry(std::int64_t rows, std::int64_t cols, std::int64_t size);

// Pixel values (255 = white) of the pattern of a CSR structure.
template <Index I>
std::vector<std::uint8_t> spy_pixels(std::int64_t rows, std::int64_t /*cols*/, const I* indptr, const I* indices,
                                     const SpyGeometry& g) {
  std::vector<double> count(static_cast<std::size_t>(g.width * g.height), 0.0);
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto py0 = static_cast<std::int64_t>(static_cast<double>(r) / g.cell);
    const auto py1 = std::max(py0 + 1, static_cast<std::int64_t>(std::ceil(static_cast<double>(r + 1) / g.cell)));
    for (I k = indptr[r]; k < indptr[r + 1]; ++k) {
      const auto px0 = static_cast<std::int64_t>(static_cast<double>(indices[k]) / g.cell);
      const auto px1 =
          std::max(px0 + 1, static_cast<std::int64_t>(std::ceil(static_cast<double>(indices[k] + 1) / g.cell)));
      for (std::int64_t y = py0; y < std::min(py1, g.height); ++y)
        for (std::int64_t x = px0; x < std::min(px1, g.width); ++x)
          count[static_cast<std::size_t>(y * g.width + x)] += 1.0;
    }
  }
  // Shade = the block's density (entries / cells it covers): white empty, black full.
  const double area = std::max(1.0, g.cell * g.cell);
  std::vector<std::uint8_t> pixels(count.size(), 255);
  for (std::size_t p = 0; p < count.size(); ++p)
    pixels[p] = static_cast<std::uint8_t>(std::lround(255.0 * (1.0 - std::min(1.0, count[p] / area))));
  return pixels;
}

// The PNG of `a`'s pattern, at most `size` pixels on the longer side.
template <Scalar T, Index I>
void spy(const Csr<T, I>& a, const std::string& path, std::int64_t size = 800) {
  const SpyGeometry g = spy_geometry(a.rows, a.cols, size);
  write_gray_png(path, g.width, g.height, spy_pixels(a.rows, a.cols, a.indptr.data(), a.indices.data(), g));
}

}  // namespace mammoth::sparse
