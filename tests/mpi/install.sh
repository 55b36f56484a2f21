#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs the build in $1 into a scratch prefix $2 and builds a consumer
# of the MPI layer twice, through find_package(matgrad COMPONENTS mpi) and
# through pkg-config matgrad_mpi, each run on 2 ranks with the mpirun
# command line in the remaining arguments.
set -eu
build=$1
work=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
test -f "$work/prefix/include/matgrad/mpi.h"

cmake -S "$here/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/consumer" > "$work/build.log"
"$@" "$work/consumer/consumer_mpi"

pcdir=$(dirname "$(find "$work/prefix" -name matgrad_mpi.pc | head -n 1)")
libdir=$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir matgrad_mpi)
# shellcheck disable=SC2046
cc -std=c11 -o "$work/consumer_pc" "$here/consumer/main.c" \
   $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs matgrad_mpi) -lm -Wl,-rpath,"$libdir"
"$@" "$work/consumer_pc"
echo "install: find_package(matgrad COMPONENTS mpi) and pkg-config matgrad_mpi consumers ran"
