#!/usr/bin/env bash
# Lays out the file system the graft-serve image runs on, from this machine alone (nothing is pulled):
#   /opt/java            a jlink'd Java runtime with only the modules graft serve needs
#   /opt/graft/native    ONNX Runtime's Linux x86-64 libraries (so nothing is extracted to /tmp at start)
#   /lib..., /lib64/...  the shared libraries those need (glibc, libstdc++, zlib, libjpeg, ...), found with ldd
#   /tmp, /models        a writable temp folder and the folder a model is mounted into
# Jib puts this tree on an empty ("scratch") base and the application layers on top.
# Usage: make-root.sh OUT_DIR ORT_NATIVE_DIR [JAVA_HOME]
set -euo pipefail
out="$1"
ort_native="$2"
java_home="${3:-${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}}"
# java.naming: Jetty's utilities (the HTTP server) require it.
modules="java.base,java.desktop,java.logging,java.management,java.naming,java.sql,java.xml,jdk.unsupported"

[ -x "$java_home/bin/jlink" ] || { echo "make-root: no jlink in $java_home (set JAVA_HOME to a JDK)" >&2; exit 1; }
[ -d "$java_home/jmods" ] || { echo "make-root: $java_home has no jmods (Debian: apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
[ -f "$ort_native/libonnxruntime.so" ] || { echo "make-root: no libonnxruntime.so in $ort_native" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/opt" "$out/opt/graft/native" "$out/tmp" "$out/models"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=2 --output "$out/opt/java"
cp "$ort_native"/*.so "$out/opt/graft/native/"
# A headless server: no X11 window toolkit, sound or splash screen (and none of the libraries they would pull in).
rm -f "$out"/opt/java/lib/libawt_xawt.so "$out"/opt/java/lib/libjsound.so "$out"/opt/java/lib/libsplashscreen.so

# Every shared library the runtime and ONNX Runtime load, copied (not linked) to the same absolute path.
libs=$(for f in "$out/opt/java/bin/java" "$out"/opt/java/lib/*.so "$out"/opt/java/lib/server/*.so \
    "$out"/opt/graft/native/*.so; do
  ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\s*\/.*ld-linux/ { print $1 }'
done | sort -u)
for lib in $libs; do
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done
# The loader also under its real name, for tools that resolve /lib64's link.
for ld in /lib64/ld-linux-x86-64.so.2; do
  [ -e "$out$ld" ] || { mkdir -p "$out$(dirname "$ld")"; cp -L "$ld" "$out$ld"; }
done
chmod 1777 "$out/tmp"
echo "make-root: $(du -sh "$out" | cut -f1) in $out ($(echo "$libs" | wc -w) system libraries; modules $modules)"
