// Error type and small shared helpers used across the library.
#pragma once

#include <stdexcept>
#include <string>

namespace landscape {

/// Every user-facing failure (bad input, unreadable file, backend failure) is an Error whose
/// message names the file, field or line at fault. The CLI prints it and exits non-zero.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// Throws Error(where + ": " + what) when `ok` is false.
void require(bool ok, const std::string& where, const std::string& what);

/// Writes `contents` to `path` atomically (temporary file + rename), so a reader never sees a
/// half-written file. Throws Error naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& contents);

/// Reads a whole file; throws Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

/// A CSV field, quoted (RFC 4180) when it holds a comma, quote or line break.
std::string csv_field(const std::string& s);

/// Host threads for `threads` as configured: itself when positive, else every core.
int thread_count(int threads);

/// The most host threads accepted: 8 per core, at least 64 (more only oversubscribes, and
/// tens of thousands make the OpenMP runtime fail to create them).
int max_threads();

/// Throws Error naming `where` unless 0 ≤ threads ≤ max_threads().
void check_threads(int threads, const std::string& where);

/// Physical memory of this machine in bytes (0 when it cannot be told).
double physical_memory_bytes();

/// Bytes as a short human-readable size ("3.2 GiB").
std::string format_bytes(double bytes);

/// The shortest decimal text that reads back as exactly `x` (std::to_chars): 0.1 is "0.1", not
/// "0.10000000000000001"; "nan", "inf" and "-inf" for non-finite values. With `keep_point`, a
/// whole number keeps ".0" ("2.0") so that it still reads as a floating-point value.
std::string format_shortest(double x, bool keep_point = false);

/// Text safe inside a Markdown table cell (Markdown metacharacters and '|' escaped).
std::string md_escape(const std::string& s);

}  // namespace landscape
