#pragma once
// db copy: every table of one store into another (SQLite to PostgreSQL and back), in one
// transaction of the destination, verified before it commits.
#include <twofa/store.hpp>

#include <functional>

namespace twofa {

struct TableCopy {
    std::string table;
    std::int64_t rows = 0;
    std::string checksum; // of the rows, whatever their order (hex; equal on both sides)
};

// Copies every row of `from` into `to`, overwriting rows with the same key (so a second copy
// changes nothing), then reads the destination back: every table must hold exactly the
// source's rows (count and checksum) or nothing is committed (Exit::store: the destination
// holds rows the source does not). `progress` sees each table once it is verified.
Result<std::vector<TableCopy>> copy_store(Store& from, Store& to,
                                          const std::function<void(const TableCopy&)>& progress);

} // namespace twofa
