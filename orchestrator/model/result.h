#pragma once
/// Result<T>: an expected-style value-or-error used inside the library. Exceptions are caught once,
/// at the top of the CLI; library code returns Result instead of throwing on bad input.
#include <string>
#include <utility>
#include <variant>

#include "model/diagnostics.h"

namespace gw {

/// What went wrong, phrased for the user; names the object it is about.
struct Error {
  Error() = default;
  Error(std::string m, SourceLoc l = {}) : message(std::move(m)), loc(std::move(l)) {}  // NOLINT
  std::string message;
  SourceLoc loc;  // where in the input, when the error is about input (file empty otherwise)

  /// "file:line:col: message", or the message alone when no place is known.
  std::string located() const { return loc.file.empty() ? message : loc.str() + ": " + message; }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation with no value.
struct Ok {};
using Status = Result<Ok>;

}  // namespace gw
