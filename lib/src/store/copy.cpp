// db copy: tables in pages, parents first, into one destination transaction; each table's
// checksum is the sum (mod 2^256) of its rows' SHA-256, so both backends agree on it whatever
// order their pages come in.
#include "store/records.hpp"

#include <twofa/db_copy.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace twofa {

namespace {

constexpr int k_page = 2000;

// A multiset digest: rows added in any order give the same sum.
class RowSum {
  public:
    // `order`: the row's columns by name (by_name), so no two rows encode alike and both
    // backends encode a row the same whatever their column order.
    void add(const std::vector<std::string>& columns, const std::vector<std::size_t>& order,
             const std::vector<CellValue>& row) {
        std::string text;
        for (std::size_t i : order) {
            text += columns[i] + "=";
            text += row[i] ? std::to_string(row[i]->size()) + ":" + *row[i] : std::string("N");
            text += ";";
        }
        std::array<unsigned char, 32> digest{};
        unsigned int size = 0;
        EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
        unsigned carry = 0;
        for (std::size_t i = digest.size(); i-- > 0;) {
            carry += static_cast<unsigned>(m_sum[i]) + digest[i];
            m_sum[i] = static_cast<unsigned char>(carry & 0xffU);
            carry >>= 8U;
        }
        ++m_rows;
    }
    std::int64_t rows() const { return m_rows; }
    std::string hex() const {
        std::string out;
        char byte[3];
        for (unsigned char c : m_sum) {
            (void)std::snprintf(byte, sizeof byte, "%02x", c);
            out += byte;
        }
        return out;
    }

  private:
    std::array<unsigned char, 32> m_sum{};
    std::int64_t m_rows = 0;
};

std::vector<std::size_t> by_name(const std::vector<std::string>& columns) {
    std::vector<std::size_t> order(columns.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return columns[a] < columns[b]; });
    return order;
}

// Every row of a table through `each`, page by page; the table's digest.
Result<RowSum> scan(Store& s, const store::TableSpec& t,
                    const std::function<Status(const TableRows&)>& each) {
    RowSum sum;
    for (std::int64_t offset = 0;; offset += k_page) {
        TRY_ASSIGN(TableRows page, s.read_table(t.name, t.key, offset, k_page));
        const auto order = by_name(page.columns);
        for (const auto& row : page.rows) {
            sum.add(page.columns, order, row);
        }
        if (each) {
            TRY(each(page));
        }
        if (static_cast<int>(page.rows.size()) < k_page) {
            return sum;
        }
    }
}

} // namespace

Result<std::vector<TableCopy>> copy_store(Store& from, Store& to,
                                          const std::function<void(const TableCopy&)>& progress) {
    std::vector<TableCopy> report;
    Status copied = to.transaction([&]() -> Status {
        for (const store::TableSpec& t : store::k_tables) {
            TRY_ASSIGN(RowSum source, scan(from, t, [&](const TableRows& page) {
                           return to.write_table(t.name, t.key, page);
                       }));
            TRY_ASSIGN(RowSum copy, scan(to, t, nullptr));
            if (copy.rows() != source.rows() || copy.hex() != source.hex()) {
                return make_error(Exit::store,
                                  std::string("the copy of ") + t.name +
                                      " differs from the source (" + std::to_string(copy.rows()) +
                                      " rows against " + std::to_string(source.rows()) + ")",
                                  "the destination holds rows the source does not: copy into an "
                                  "empty database; nothing was written");
            }
            report.push_back({t.name, source.rows(), source.hex()});
            if (progress) {
                progress(report.back());
            }
        }
        return {};
    });
    TRY(copied);
    return report;
}

} // namespace twofa
