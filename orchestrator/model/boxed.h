#pragma once
/// Boxed<T>: an optional value kept on the heap, for members that are usually absent. It costs one
/// pointer where std::optional<T> costs sizeof(T) (a Step's skip_if gate is 200+ bytes that most
/// steps do not use). Value semantics: copying a Boxed copies the value. Spelled like
/// std::optional (bool test, *, ->, reset, assignment from T, std::optional<T> and std::nullopt),
/// so that code reading optional members reads boxed ones unchanged.
#include <memory>
#include <optional>
#include <utility>

namespace gw {

template <class T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(std::nullopt_t) {}  // NOLINT(google-explicit-constructor)
  Boxed(T value)
      : p_(std::make_unique<T>(std::move(value))) {}  // NOLINT(google-explicit-constructor)
  Boxed(std::optional<T> value)                       // NOLINT(google-explicit-constructor)
      : p_(value ? std::make_unique<T>(std::move(*value)) : nullptr) {}
  Boxed(const Boxed& other) : p_(other.p_ ? std::make_unique<T>(*other.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& other) {
    if (this != &other) p_ = other.p_ ? std::make_unique<T>(*other.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  ~Boxed() = default;

  bool has_value() const { return p_ != nullptr; }
  explicit operator bool() const { return p_ != nullptr; }
  /// The value; the Boxed must hold one.
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }
  /// The value, or null when there is none.
  const T* get() const { return p_.get(); }
  void reset() { p_.reset(); }
  /// A copy of the value as a std::optional.
  std::optional<T> to_optional() const { return p_ ? std::optional<T>(*p_) : std::nullopt; }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace gw
