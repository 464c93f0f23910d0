// SPDX-License-Identifier: GPL-2.0
// nicctl's output: aligned tables with units for people, JSON with the same
// content (raw numbers, same names) for programs. The JSON shape of a
// command never depends on the data or on other flags.
#ifndef NICCTL_OUTPUT_H_
#define NICCTL_OUTPUT_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "nvo/types.h"

namespace nicctl {

using Json = nlohmann::ordered_json;
// Device id -> name, to print names next to ids.
using DevNames = std::map<uint32_t, std::string>;

// 999, 1.0K, 12.3K, 123K, 1.2M ... (powers of 1000).
std::string FormatCount(uint64_t v);
// 512, 8KiB, 1.5MiB ... (powers of 1024).
std::string FormatBytes(uint64_t v);
// A duration in microseconds: 512us, 1ms, 4.2s (ASCII only).
std::string FormatUs(uint64_t us);

// Latency histogram buckets (log2 us): bucket b covers [Lo(b), Hi(b)) us;
// the last bucket has no upper bound.
uint64_t BucketLoUs(size_t b);
std::optional<uint64_t> BucketHiUs(size_t b, size_t nbuckets);
std::string BucketLabel(size_t b, size_t nbuckets);  // "<1us", "1-2us"...
// The bucket in which the p-quantile (0 < p <= 1) falls; nullopt for an
// empty histogram.
std::optional<size_t> QuantileBucket(const std::vector<uint64_t>& hist,
                                     double p);
// "<16us" (upper bound of the quantile's bucket), ">=4.2s", "-" if empty.
std::string QuantileLabel(const std::vector<uint64_t>& hist, double p);

class Table {
 public:
  explicit Table(std::vector<std::string> header);
  // Columns whose cells are right-aligned (numbers).
  void RightAlign(size_t col);
  void Add(std::vector<std::string> row);
  void Render(std::ostream& out) const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// ---- JSON -------------------------------------------------------------
Json ToJson(const nvo::Device& d);
Json ToJson(const nvo::Port& p);
Json ToJson(const nvo::Queue& q, const DevNames& names);
Json ToJson(const nvo::NsTable& t, const DevNames& names);
// interval_s: null for totals, the measured interval for delta and rate
// samples; per_second: the counters are rates (stats show rate).
Json ToJson(const nvo::Stats& s, const DevNames& names,
            std::optional<double> interval_s, bool per_second = false);
// names: device names known to the caller (queue events carry only an id).
Json ToJson(const nvo::Event& e, const std::string& time,
            const DevNames& names = {});

// ---- text -------------------------------------------------------------
void PrintDevices(std::ostream& out, const std::vector<nvo::Device>& devs);
void PrintPorts(std::ostream& out, const std::vector<nvo::Port>& ports);
void PrintQueues(std::ostream& out, const std::vector<nvo::Queue>& queues,
                 const DevNames& names);
// One row per namespace of each table (a table without any: one row).
void PrintNsTables(std::ostream& out, const std::vector<nvo::NsTable>& tables,
                   const DevNames& names);
// "vwc,wz,discard"; "-" for none.
std::string NsFlagsCell(uint32_t flags);
// "device nic0 (1)", "port 1", "ns 1/2", "queue 7".
std::string StatsLabel(const nvo::StatsSelector& k, const DevNames& names);
// One object: every counter, punted by opcode, the latency histogram.
void PrintStatsDetail(std::ostream& out, const nvo::Stats& s,
                      const DevNames& names);
// Many objects: one row each, the main counters and latency quantiles.
void PrintStatsTable(std::ostream& out, const std::vector<nvo::Stats>& all,
                     const DevNames& names);
std::string EventLine(const nvo::Event& e, const std::string& time,
                      const DevNames& names = {});

// Local time of a Unix time in ms: "2026-12-06 08:01:02.123", or ISO 8601
// "2026-12-06T08:01:02.123+01:00" (iso).
std::string FormatTime(int64_t epoch_ms, bool iso);

// ---- Prometheus ------------------------------------------------------------
// The node_exporter textfile format: every counter as
// nvmet_offload_<counter>_total{scope,dev_id,dev,port,nsid,queue}, the
// latency histogram as nvmet_offload_latency_seconds (cumulative buckets).
void PrintPrometheus(std::ostream& out, const std::vector<nvo::Stats>& all,
                     const DevNames& names);

}  // namespace nicctl

#endif  // NICCTL_OUTPUT_H_
