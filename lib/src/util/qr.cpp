// QR codes with libqrencode, loaded on first use (util/lazy_library.hpp): only enrollment
// draws one, and linking it cost every command's start-up a library to map and relocate.
#include "util/lazy_library.hpp"

#include <twofa/qr.hpp>

#include <qrencode.h>

#include <memory>

namespace {
twofa::detail::LazyLibrary g_libqrencode("libqrencode.so.4", "libqrencode4");
} // namespace

extern "C" {

TWOFA_FORWARDER QRcode* QRcode_encodeString8bit(const char* string, int version, QRecLevel level) {
    TWOFA_LAZY(g_libqrencode, QRcode_encodeString8bit);
    return real(string, version, level);
}
TWOFA_FORWARDER void QRcode_free(QRcode* qrcode) {
    TWOFA_LAZY(g_libqrencode, QRcode_free);
    real(qrcode);
}

} // extern "C"

namespace twofa {

namespace {
constexpr int k_quiet = 2;

// Light (ink on a dark terminal) at (row, col) of the symbol with its quiet zone.
bool light(const QrMatrix& m, int row, int col) {
    int n = static_cast<int>(m.size());
    int r = row - k_quiet;
    int c = col - k_quiet;
    if (r < 0 || c < 0 || r >= n || c >= n) {
        return true;
    }
    return !m[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
}
} // namespace

Result<QrMatrix> qr_encode(const std::string& text) {
    TRY(g_libqrencode.load());
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
        QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M), QRcode_free);
    if (!code) {
        return make_error(Exit::usage, "the text is too long for a QR code",
                          "use the URI or the secret instead");
    }
    auto n = static_cast<std::size_t>(code->width);
    QrMatrix m(n, std::vector<bool>(n));
    for (std::size_t r = 0; r < n; ++r) {
        for (std::size_t c = 0; c < n; ++c) {
            m[r][c] = (code->data[r * n + c] & 1U) != 0;
        }
    }
    return m;
}

int qr_columns(const QrMatrix& m, QrSize size) {
    int side = static_cast<int>(m.size()) + 2 * k_quiet;
    return size == QrSize::large ? 2 * side : side;
}

int qr_lines(const QrMatrix& m, QrSize size) {
    int side = static_cast<int>(m.size()) + 2 * k_quiet;
    return size == QrSize::large ? side : (side + 1) / 2;
}

std::string qr_text(const QrMatrix& m, QrSize size) {
    const int side = static_cast<int>(m.size()) + 2 * k_quiet;
    std::string out;
    if (size == QrSize::large) {
        for (int r = 0; r < side; ++r) {
            for (int c = 0; c < side; ++c) {
                out += light(m, r, c) ? "\u2588\u2588" : "  ";
            }
            out += '\n';
        }
        return out;
    }
    for (int r = 0; r < side; r += 2) {
        for (int c = 0; c < side; ++c) {
            bool top = light(m, r, c);
            bool bottom = r + 1 < side ? light(m, r + 1, c) : false;
            out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
        }
        out += '\n';
    }
    return out;
}

} // namespace twofa
