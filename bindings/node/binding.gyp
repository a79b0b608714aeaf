# For node-gyp users: builds ivrsm.node against an installed libivrsm, found
# through pkg-config (set PKG_CONFIG_PATH for a non-standard prefix).
{
  "targets": [
    {
      "target_name": "ivrsm",
      "sources": ["src/addon.c", "src/handles.c", "src/session.c", "src/util.c"],
      "cflags_c": ["-std=c11", "-Wall", "-Wextra"],
      "include_dirs": ["<!@(pkg-config --variable=includedir libivrsm)"],
      "libraries": ["<!@(pkg-config --libs libivrsm)"],
      "ldflags": ["-Wl,-rpath,<!@(pkg-config --variable=libdir libivrsm)"]
    }
  ]
}
