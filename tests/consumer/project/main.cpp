#include <mammoth/ndarray.hpp>

#include <cstdio>

int main() {
  auto a = mammoth::NdArray<double>::zeros({3, 4});
  a.fill(2.0);
  double total = 0;
  for (double v : a) total += v;
  std::printf("consumer: sum=%g\n", total);
  return total == 24.0 ? 0 : 1;
}
