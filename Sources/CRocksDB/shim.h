#ifndef CROCKSDB_SHIM_H
#define CROCKSDB_SHIM_H
// RocksDB's C API (Debian librocksdb-dev). Only Sources/BrokerStore uses it.
#include <rocksdb/c.h>
#endif
