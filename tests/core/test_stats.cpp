// Binomial intervals against known values.
#include <gtest/gtest.h>

#include "landscape/core/stats.hpp"

using landscape::binomial_interval_95;

TEST(Intervals, ZeroOfHundredThousandIsTheMathMdExample) {
  const auto iv = binomial_interval_95(0, 100000);
  EXPECT_EQ(iv.method, "clopper-pearson");
  EXPECT_EQ(iv.lo, 0.0);
  EXPECT_NEAR(iv.hi, 3.7e-5, 0.05e-5);  // "rate < 3.7e-5 at 95%"
}

TEST(Intervals, AllSuccessesMirrorsZero) {
  const auto a = binomial_interval_95(0, 50), b = binomial_interval_95(50, 50);
  EXPECT_NEAR(b.lo, 1 - a.hi, 1e-15);
  EXPECT_EQ(b.hi, 1.0);
}

TEST(Intervals, WilsonMatchesReference) {
  // Wilson 95% for 10/100 is [0.0552, 0.1744] (standard tables).
  const auto iv = binomial_interval_95(10, 100);
  EXPECT_EQ(iv.method, "wilson");
  EXPECT_NEAR(iv.lo, 0.0552, 1e-4);
  EXPECT_NEAR(iv.hi, 0.1744, 1e-4);
  const auto half = binomial_interval_95(50, 100);
  EXPECT_NEAR(half.lo + half.hi, 1.0, 1e-12);
}
