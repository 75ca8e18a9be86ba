// Small helpers for the N-API entry points: argument reading with type and size checks, errors
// as JS exceptions (a Failure thrown anywhere below an entry point becomes one), new typed arrays.
#pragma once
#include <node_api.h>

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pool.h"

namespace mmada {

struct Failure {
  std::string message;
};

inline void check(napi_env env, napi_status status, const char* what) {
  if (status != napi_ok) throw Failure{std::string("mmada native: ") + what};
}

struct Args {
  std::vector<napi_value> v;
  Args(napi_env env, napi_callback_info info, size_t n) : v(n) {
    size_t got = n;
    check(env, napi_get_cb_info(env, info, &got, v.data(), nullptr, nullptr), "reading arguments");
    if (got < n) throw Failure{"mmada native: expected " + std::to_string(n) + " arguments, got " + std::to_string(got)};
  }
  napi_value operator[](size_t i) const { return v[i]; }
};

inline double number(napi_env env, napi_value v, const char* what) {
  double x;
  if (napi_get_value_double(env, v, &x) != napi_ok) throw Failure{std::string("mmada native: ") + what + " must be a number"};
  return x;
}

/** A typed array's data and length, checked against the expected element type. */
template <typename T>
T* typed(napi_env env, napi_value v, napi_typedarray_type want, size_t& length, const char* what) {
  bool is;
  check(env, napi_is_typedarray(env, v, &is), "is_typedarray");
  napi_typedarray_type type;
  void* data;
  if (!is || napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != want) {
    throw Failure{std::string("mmada native: ") + what + " has the wrong type"};
  }
  return static_cast<T*>(data);
}

template <typename T>
T* typedOf(napi_env env, napi_value v, napi_typedarray_type want, size_t expected, const char* what) {
  size_t n;
  T* p = typed<T>(env, v, want, n, what);
  if (n != expected) {
    throw Failure{std::string("mmada native: ") + what + " has " + std::to_string(n) + " elements, expected " +
                  std::to_string(expected)};
  }
  return p;
}

/** A new Float32Array of n elements whose storage the kernels write directly. */
inline napi_value newFloat32(napi_env env, size_t n, float** data) {
  napi_value buf, arr;
  check(env, napi_create_arraybuffer(env, n * sizeof(float), reinterpret_cast<void**>(data), &buf), "allocating");
  check(env, napi_create_typedarray(env, napi_float32_array, n, buf, 0, &arr), "allocating");
  return arr;
}

inline bool boolean(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

/** The Float32Arrays of a JS array, in order. */
inline std::vector<std::pair<float*, size_t>> float32List(napi_env env, napi_value list, const char* what) {
  uint32_t n;
  if (napi_get_array_length(env, list, &n) != napi_ok) throw Failure{std::string("mmada native: ") + what + " must be an array"};
  std::vector<std::pair<float*, size_t>> out(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    check(env, napi_get_element(env, list, i, &e), what);
    out[i].first = typed<float>(env, e, napi_float32_array, out[i].second, what);
  }
  return out;
}

/** Runs an entry point's body under the call lock, turning a Failure into a JS exception. */
template <typename F>
napi_value guarded(napi_env env, F&& body) {
  try {
    std::lock_guard<std::mutex> lock(callMutex());
    FlushDenormals flush;
    return body();
  } catch (const Failure& f) {
    napi_throw_error(env, "MMADA_NATIVE", f.message.c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, "MMADA_NATIVE", (std::string("mmada native: ") + e.what()).c_str());
  }
  return nullptr;
}

// Entry points defined in addon-optim.cc.
napi_value AdamW(napi_env env, napi_callback_info info);
napi_value SumSquares(napi_env env, napi_callback_info info);

}  // namespace mmada
