#!/usr/bin/env bash
# Copies the build dependencies (headers, CMake package files, libraries) from this Debian
# machine into .deps/, keeping their relative layout, so a machine without Debian's -dev
# packages and without network access (e.g. a lent GPU machine) can build with
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=$PWD/.deps
# .deps/ is git-ignored; carry it to the other machine (it is about 16 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
DEST=${1:-.deps}
ARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
rm -rf "$DEST"
copy() {  # copy PATH (file or folder) under /usr into $DEST with the same relative path
  local src=$1 rel=${1#/usr/}
  mkdir -p "$DEST/$(dirname "$rel")"
  cp -RL --preserve=mode,timestamps "$src" "$DEST/$rel"  # links resolved: carried copies may drop links
}
copy /usr/include/eigen3
copy /usr/share/eigen3
copy /usr/include/Spectra
copy /usr/share/spectra
copy /usr/include/CLI
copy /usr/share/cmake/CLI11
copy /usr/include/nlohmann
copy /usr/share/cmake/nlohmann_json
copy /usr/include/toml++
copy /usr/lib/$ARCH/cmake/tomlplusplus
for f in /usr/lib/$ARCH/libtomlplusplus.so*; do copy "$f"; done
copy /usr/include/gtest
copy /usr/include/gmock
copy /usr/lib/$ARCH/cmake/GTest
for f in /usr/lib/$ARCH/libgtest*.a /usr/lib/$ARCH/libgmock*.a; do copy "$f"; done
copy /usr/include/sqlite3.h
copy /usr/include/sqlite3ext.h
for f in /usr/lib/$ARCH/libsqlite3.so*; do copy "$f"; done
copy /usr/include/hwy
copy /usr/lib/$ARCH/cmake/hwy
for f in /usr/lib/$ARCH/libhwy*.so*; do copy "$f"; done  # hwy-config checks all three libraries
# LAPACK is not carried (OpenBLAS and its Fortran runtime): a build from .deps/ takes every
# spectrum from Eigen's solver.
echo "vendored build dependencies into $DEST ($(du -sh "$DEST" | cut -f1))"
