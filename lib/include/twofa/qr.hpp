#pragma once
// QR codes for key URIs, drawn as text (libqrencode builds the symbol). No terminal I/O here:
// the front end prints the text.
#include <twofa/result.hpp>

#include <string>
#include <vector>

namespace twofa {

// The symbol's modules, row by row (true: dark), without a quiet zone.
using QrMatrix = std::vector<std::vector<bool>>;

// The smallest symbol holding the text at error correction level M.
Result<QrMatrix> qr_encode(const std::string& text);

enum class QrSize {
    large,   // two columns and one line per module: readable at any font size
    compact, // one column per module, two modules per line (half blocks)
};

// The symbol with a quiet zone of 2 modules, drawn for a terminal with a dark background:
// light modules are ink (full and half blocks), dark modules are blank. Lines end in '\n'.
std::string qr_text(const QrMatrix& matrix, QrSize size);

// Columns and lines qr_text needs.
int qr_columns(const QrMatrix& matrix, QrSize size);
int qr_lines(const QrMatrix& matrix, QrSize size);

} // namespace twofa
