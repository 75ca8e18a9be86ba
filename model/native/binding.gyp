# The kernels add-on. scripts/install-native-kernels.sh builds it with node-gyp, passing
# openblas_dir (the unpacked scipy-openblas32 wheel); the library is found at run time through the
# rpath, so nothing needs LD_LIBRARY_PATH.
{
  "variables": { "openblas_dir%": "" },
  "targets": [
    {
      "target_name": "mmada_native",
      "sources": ["src/addon.cc", "src/addon-optim.cc", "src/forward.cc", "src/kernels.cc", "src/model.cc", "src/optim.cc", "src/pool.cc"],
      "include_dirs": ["<(openblas_dir)/include"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-march=native", "-fopenmp-simd", "-Wall", "-Wextra"],
      "libraries": ["-L<(openblas_dir)/lib", "-lscipy_openblas", "-Wl,-rpath,<(openblas_dir)/lib", "-pthread"]
    }
  ]
}
