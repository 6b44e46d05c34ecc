#pragma once
/// FlatMap<V>: a map from string keys to V kept as one vector sorted by key. For the small maps the
/// model holds by the hundred thousand (a step body's few keys): no node per entry, an empty map
/// costs three pointers. Iterates in the order of std::map<std::string, V> (keys compared as
/// std::string compares them), and is spelled like it (find, count, at, operator[], iteration over
/// {key, value} pairs), so that code written for std::map reads it unchanged. Inserting is linear:
/// not for large maps.
#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw {

template <class V>
class FlatMap {
 public:
  using value_type = std::pair<std::string, V>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  FlatMap() = default;
  /// From {key, value} pairs in any order; a repeated key keeps its first value (as std::map).
  FlatMap(std::initializer_list<value_type> items) {
    for (const auto& [k, v] : items)
      if (auto it = lower(k); it == items_.end() || it->first != k) items_.emplace(it, k, v);
  }

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  void clear() { items_.clear(); }
  /// Gives back the capacity beyond size() (call when the map is complete).
  void shrink_to_fit() { items_.shrink_to_fit(); }

  iterator find(std::string_view key) {
    auto it = lower(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  const_iterator find(std::string_view key) const {
    auto it = lower(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  size_t count(std::string_view key) const { return find(key) == end() ? 0 : 1; }
  /// The value of `key`; throws std::out_of_range when there is none (as std::map::at).
  const V& at(std::string_view key) const {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("FlatMap::at: no such key");
    return it->second;
  }
  V& at(std::string_view key) {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("FlatMap::at: no such key");
    return it->second;
  }
  /// The value of `key`, inserted value-initialized when there is none.
  V& operator[](std::string_view key) {
    auto it = lower(key);
    if (it == items_.end() || it->first != key) it = items_.emplace(it, std::string(key), V{});
    return it->second;
  }

 private:
  iterator lower(std::string_view key) {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& e, std::string_view k) { return e.first < k; });
  }
  const_iterator lower(std::string_view key) const {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& e, std::string_view k) { return e.first < k; });
  }

  std::vector<value_type> items_;
};

/// FlatSet: a set of strings kept as one sorted vector, for the small sets held per step (the
/// secrets and outputs a step uses: mostly none). Iterates in the order of std::set<std::string>
/// and is spelled like it (insert, count, find, iteration). Inserting is linear.
class FlatSet {
 public:
  using value_type = std::string;
  using const_iterator = std::vector<std::string>::const_iterator;
  using iterator = const_iterator;

  FlatSet() = default;
  FlatSet(std::initializer_list<std::string> items) {
    for (const auto& s : items) insert(s);
  }

  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  void clear() { items_.clear(); }

  const_iterator find(std::string_view s) const {
    auto it = std::lower_bound(items_.begin(), items_.end(), s);
    return it != items_.end() && *it == s ? it : items_.end();
  }
  size_t count(std::string_view s) const { return find(s) == end() ? 0 : 1; }
  /// Adds `s` unless present; true when it was added.
  bool insert(std::string_view s) {
    auto it = std::lower_bound(items_.begin(), items_.end(), s);
    if (it != items_.end() && *it == s) return false;
    items_.emplace(it, s);
    return true;
  }
  template <class It>
  void insert(It first, It last) {
    for (; first != last; ++first) insert(*first);
  }
  friend bool operator==(const FlatSet& a, const FlatSet& b) { return a.items_ == b.items_; }

 private:
  std::vector<std::string> items_;
};

}  // namespace gw
