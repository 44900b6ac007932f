#pragma once
// A small std::expected stand-in (the project is C++20): a value or a twofa::Error.
#include <twofa/error.hpp>

#include <utility>
#include <variant>

namespace twofa {

template <class T> class [[nodiscard]] Result {
  public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}     // NOLINT implicit
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {} // NOLINT implicit

    bool ok() const noexcept { return m_v.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return checked(); }
    const T& value() const& { return const_cast<Result*>(this)->checked(); }
    T&& value() && { return std::move(checked()); }
    T& operator*() & { return checked(); }
    const T& operator*() const& { return const_cast<Result*>(this)->checked(); }
    T* operator->() { return &checked(); }
    const T* operator->() const { return &const_cast<Result*>(this)->checked(); }

    const Error& error() const { return std::get<1>(m_v); }

    // f(value) -> Result<U>, or this error unchanged (std::expected's and_then).
    template <class F> auto and_then(F&& f) && -> decltype(f(std::declval<T&&>())) {
        if (!ok()) {
            return error();
        }
        return f(std::move(std::get<0>(m_v)));
    }
    template <class F> auto and_then(F&& f) const& -> decltype(f(std::declval<const T&>())) {
        if (!ok()) {
            return error();
        }
        return f(std::get<0>(m_v));
    }
    // Result<f(value)>, or this error unchanged (std::expected's transform).
    template <class F> auto transform(F&& f) && -> Result<decltype(f(std::declval<T&&>()))> {
        if (!ok()) {
            return error();
        }
        return f(std::move(std::get<0>(m_v)));
    }

  private:
    T& checked() {
        if (m_v.index() != 0) {
            throw Failure(std::get<1>(m_v));
        }
        return std::get<0>(m_v);
    }
    std::variant<T, Error> m_v;
};

// A Result with no value: success, or an Error.
template <> class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_failed(true) {} // NOLINT implicit
    bool ok() const noexcept { return !m_failed; }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const { return m_error; }
    void value() const {
        if (m_failed) {
            throw Failure(m_error);
        }
    }

  private:
    Error m_error;
    bool m_failed = false;
};

using Status = Result<void>;

} // namespace twofa

// Early return of a failure, as ccache's util/expected.hpp does: TRY(status_expr) returns its
// Error from the enclosing function (which returns a Result of any type);
// TRY_ASSIGN(decl, result_expr) also declares or assigns the value on success. Reaching
// value() of a failed Result is a bug (it throws); expected failures travel as Results.
// NOLINTBEGIN(bugprone-macro-parentheses): the names are generated, lhs may be a declaration
#define TWOFA_CONCAT_(a, b) a##b
#define TWOFA_CONCAT(a, b) TWOFA_CONCAT_(a, b)
#define TRY_IMPL_(tmp, expr)                                                                       \
    do {                                                                                           \
        auto&& tmp = (expr);                                                                       \
        if (!tmp.ok()) {                                                                           \
            return tmp.error();                                                                    \
        }                                                                                          \
    } while (false)
#define TRY(expr) TRY_IMPL_(TWOFA_CONCAT(try_result_, __COUNTER__), expr)
#define TRY_ASSIGN_IMPL_(tmp, lhs, expr)                                                           \
    auto tmp = (expr);                                                                             \
    if (!tmp.ok()) {                                                                               \
        return tmp.error();                                                                        \
    }                                                                                              \
    lhs = std::move(*tmp)
#define TRY_ASSIGN(lhs, expr) TRY_ASSIGN_IMPL_(TWOFA_CONCAT(try_value_, __COUNTER__), lhs, expr)
// NOLINTEND(bugprone-macro-parentheses)
