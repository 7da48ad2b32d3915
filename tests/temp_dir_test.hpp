// A test fixture with a fresh folder of its own per test (removed afterwards), and helpers to
// write files into it and name paths in it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace landscape::test {

class TempDirTest : public ::testing::Test {
 protected:
  /// The folder is <tmp>/landscape_<prefix>_<test name>_<pid>: the process id keeps two test
  /// binaries running at once (two build trees, or ctest -j) out of each other's folders.
  explicit TempDirTest(std::string prefix) : m_prefix(std::move(prefix)) {}
  void SetUp() override {
    m_dir = std::filesystem::temp_directory_path() /
            ("landscape_" + m_prefix + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
             std::to_string(::getpid()));
    std::filesystem::remove_all(m_dir);
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  /// Writes `text` to the file `name` in the folder; returns its path.
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = path(name);
    std::ofstream(p) << text;
    return p;
  }
  std::string path(const std::string& name) const { return (m_dir / name).string(); }

  std::filesystem::path m_dir;

 private:
  std::string m_prefix;
};

}  // namespace landscape::test
