// The CPU backend's register-blocked lane products (src/backends/cpu/lanes.hpp) against the
// single-source per-network products (math/network.hpp), lane by lane: every output size, inner
// size and sample count from 1 to 9 (every sample block and remainder path, every row tail), with
// and without accumulation, one and two registers per lane value. Compiled without FMA
// contraction like the float64 trainers, so every value must match bitwise.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "lanes.hpp"
#include "landscape/math/network.hpp"

using namespace landscape;

namespace {

template <class L>
using Scalar = typename L::Scalar;

template <class L>
struct Operands {
  int rows, cols, n;
  std::vector<L> a, b, out;  // lanes
  std::vector<std::vector<Scalar<L>>> sa, sb, sout;  // per lane

  // `a` is rows×cols, `b` is sa_rows×n and `out` is out_rows×out_cols (per the product).
  Operands(std::size_t na, std::size_t nb, std::size_t nout, std::mt19937_64& rng)
      : a(na), b(nb), out(nout), sa(L::N), sb(L::N), sout(L::N) {
    std::normal_distribution<double> normal;
    for (int l = 0; l < L::N; ++l) {
      sa[l].resize(na), sb[l].resize(nb), sout[l].resize(nout);
      for (std::size_t k = 0; k < na; ++k) a[k].set(l, sa[l][k] = Scalar<L>(normal(rng)));
      for (std::size_t k = 0; k < nb; ++k) b[k].set(l, sb[l][k] = Scalar<L>(normal(rng)));
      for (std::size_t k = 0; k < nout; ++k) out[k].set(l, sout[l][k] = Scalar<L>(normal(rng)));
    }
  }

  /// Lanes' outputs bitwise the per-lane ones; the count of values that differ.
  std::size_t differences() const {
    std::size_t diff = 0;
    for (int l = 0; l < L::N; ++l)
      for (std::size_t k = 0; k < out.size(); ++k) {
        const Scalar<L> x = out[k][l], y = sout[l][k];
        diff += std::memcmp(&x, &y, sizeof x) != 0;
      }
    return diff;
  }
};

template <class L>
void check_products() {
  std::mt19937_64 rng(11);
  for (int dout = 1; dout <= 9; ++dout)
    for (int din = 1; din <= 9; ++din)
      for (int n = 1; n <= 9; ++n) {
        const std::string where = "dout " + std::to_string(dout) + " din " + std::to_string(din) +
                                  " n " + std::to_string(n);
        const std::size_t sd = std::size_t(dout), sdi = std::size_t(din), sn = std::size_t(n);
        {  // out (dout×n) = W (dout×din) · in (din×n)
          Operands<L> o(sd * sdi, sdi * sn, sd * sn, rng);
          cpu::lanes::matmul_rows(o.a.data(), o.b.data(), o.out.data(), dout, din, n);
          for (int l = 0; l < L::N; ++l)
            math::matmul_rows(o.sa[l].data(), o.sb[l].data(), o.sout[l].data(), dout, din, n);
          EXPECT_EQ(o.differences(), 0u) << "matmul_rows " << where;
        }
        for (bool acc : {false, true}) {  // out (din×n) (+)= Wᵀ (din×dout) · g (dout×n)
          Operands<L> o(sd * sdi, sd * sn, sdi * sn, rng);
          cpu::lanes::matmul_tn(o.a.data(), o.b.data(), o.out.data(), dout, din, n, acc);
          for (int l = 0; l < L::N; ++l)
            math::matmul_tn(o.sa[l].data(), o.sb[l].data(), o.sout[l].data(), dout, din, n, acc);
          EXPECT_EQ(o.differences(), 0u) << "matmul_tn " << where << " accumulate " << acc;
        }
        if constexpr (std::is_same_v<Scalar<L>, float>) {
          // out (dout×din) (+)= g (dout×n) · aᵀ: float32 lanes sum each element in one running
          // sum over the samples (math::outer_nt's eight partial sums are float64's order).
          for (bool acc : {false, true}) {
            Operands<L> o(sd * sn, sdi * sn, sd * sdi, rng);
            cpu::lanes::outer_nt(o.a.data(), o.b.data(), o.out.data(), dout, din, n, acc);
            for (int l = 0; l < L::N; ++l)
              for (int r = 0; r < dout; ++r)
                for (int c = 0; c < din; ++c) {
                  float s = 0;
                  for (int k = 0; k < n; ++k) s += o.sa[l][r * sn + k] * o.sb[l][c * sn + k];
                  float& y = o.sout[l][r * sdi + c];
                  y = acc ? y + s : s;
                }
            EXPECT_EQ(o.differences(), 0u) << "outer_nt " << where << " accumulate " << acc;
          }
        }
      }
}

}  // namespace

TEST(Lanes, Float64ProductsAreBitwiseThePerNetworkOnesInOneRegister) {
  check_products<cpu::lanes::Lane<double, 32, 1>>();
}
TEST(Lanes, Float64ProductsAreBitwiseThePerNetworkOnesInTwoRegisters) {
  check_products<cpu::lanes::Lane<double, 16, 2>>();
}
TEST(Lanes, Float32ProductsAreBitwiseThePerNetworkOnesInOneRegister) {
  check_products<cpu::lanes::Lane<float, 32, 1>>();
}
TEST(Lanes, Float32ProductsAreBitwiseThePerNetworkOnesInTwoRegisters) {
  check_products<cpu::lanes::Lane<float, 32, 2>>();
}

// Lane access, broadcast and the mask helpers with two registers per value: lane l lives in
// register l / W, element l mod W; a broadcast keeps −0 and NaN bits; a select takes each lane
// from its own side.
TEST(Lanes, TwoRegisterLanesIndexSelectAndBroadcastPerLane) {
  using L = cpu::lanes::Lane<double, 16, 2>;
  static_assert(L::N == 4 && L::W == 2);
  L x(-0.0);
  for (int l = 0; l < L::N; ++l) EXPECT_TRUE(std::signbit(x[l]));
  for (int l = 0; l < L::N; ++l) x.set(l, double(l));
  EXPECT_EQ(x.v[1][0], 2.0);
  EXPECT_EQ(x.v[1][1], 3.0);
  const L y = cpu::lanes::select(cpu::lanes::lt(x, L(1.5)), L(-1), x);
  EXPECT_EQ(y[0], -1.0);
  EXPECT_EQ(y[1], -1.0);
  EXPECT_EQ(y[2], 2.0);
  EXPECT_EQ(y[3], 3.0);
  EXPECT_FALSE(cpu::lanes::all_of(cpu::lanes::gt(x, L(0))));
  EXPECT_TRUE(cpu::lanes::all_of(cpu::lanes::ge(x, L(0))));
  EXPECT_TRUE(cpu::lanes::all_of(cpu::lanes::gt(x, L(0)) | cpu::lanes::eq(x, L(0))));
  EXPECT_FALSE(cpu::lanes::all_of(cpu::lanes::ne(x, L(3)) & cpu::lanes::le(x, L(3))));
}
