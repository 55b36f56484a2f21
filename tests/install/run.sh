#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs the matgrad build in $1 into a scratch prefix $2, then builds and
# runs a small consumer twice: through find_package(matgrad) (shared and
# static targets) and through pkg-config.
set -eu
build=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"

cmake -S "$here/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/consumer" > "$work/build.log"
"$work/consumer/consumer_shared"
"$work/consumer/consumer_static"

pcdir=$(dirname "$(find "$work/prefix" -name matgrad.pc | head -n 1)")
PKG_CONFIG_PATH=$pcdir pkg-config --exists matgrad
cc -std=c11 -o "$work/consumer_pc" "$here/consumer/main.c" \
   $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs matgrad) -Wl,-rpath,"$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir matgrad)"
"$work/consumer_pc"
# Static through pkg-config: libmatgrad.a plus its private dependencies.
libdir=$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir matgrad)
cc -std=c11 -o "$work/consumer_pc_static" "$here/consumer/main.c" \
   $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags matgrad) "$libdir/libmatgrad.a" \
   $(PKG_CONFIG_PATH=$pcdir pkg-config --static --libs matgrad | sed 's/-lmatgrad//')
"$work/consumer_pc_static"
echo "install_consumer: find_package and pkg-config consumers ran"

# The README's C example must build and run against the installed package.
readme=$here/../../README.md
awk '/^```c$/{on=1; next} /^```$/{if(on){exit}} on' "$readme" > "$work/readme_example.c"
test -s "$work/readme_example.c"
cc -std=c11 -Wall -Wextra -Werror -o "$work/readme_example" "$work/readme_example.c" \
   $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs matgrad) -Wl,-rpath,"$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir matgrad)"
"$work/readme_example"
