// Error helpers and atomic file output.
#include "landscape/core/common.hpp"

#include <omp.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace landscape {

void require(bool ok, const std::string& where, const std::string& what) {
  if (!ok) throw Error(where + ": " + what);
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path + ": cannot open for writing: " + std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    const int why = errno;  // the stream keeps no reason; errno holds the failed write's
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(path + ": write failed: " + std::strerror(why ? why : EIO));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error(path + ": cannot rename into place: " + why);
  }
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read file: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path + ": read failed");
  return ss.str();
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

int thread_count(int threads) { return threads > 0 ? threads : std::max(1, omp_get_num_procs()); }

int max_threads() { return std::max(64, 8 * std::max(1, omp_get_num_procs())); }

void check_threads(int threads, const std::string& where) {
  require(threads >= 0, where, "must be 0 (every core) or a positive thread count, got " + std::to_string(threads));
  require(threads <= max_threads(), where,
          std::to_string(threads) + " threads is more than this machine can use (it has " +
              std::to_string(omp_get_num_procs()) + " cores; at most " + std::to_string(max_threads()) +
              " threads are accepted, 0 uses every core)");
}

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? double(pages) * double(page) : 0.0;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

std::string format_shortest(double x, bool keep_point) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  std::string t(buf, res.ptr);
  if (keep_point && t.find_first_not_of("-0123456789") == std::string::npos) t += ".0";
  return t;
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (std::strchr("\\`*_[]<>|", ch)) out += '\\';
    out += ch == '\n' ? ' ' : ch;
  }
  return out;
}

}  // namespace landscape
