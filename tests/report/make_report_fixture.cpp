// Test-only tool for test_report_browser.sh: writes the fixture database to DIR/fixture.db and
// the report from it to DIR/report/.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "landscape/core/common.hpp"
#include "landscape/report/report.hpp"
#include "report_fixture.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  try {
    const std::filesystem::path dir(argv[1]);
    std::filesystem::create_directories(dir);
    const std::string db = (dir / "fixture.db").string();
    std::filesystem::remove(db);
    landscape::testing::make_report_fixture_db(db);
    landscape::write_report({db, (dir / "report").string()});
    std::printf("%s\n", (dir / "report" / "report.html").string().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_report_fixture: %s\n", e.what());
    return 1;
  }
}
