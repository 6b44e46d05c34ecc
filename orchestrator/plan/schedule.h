#pragma once
/// Scheduling from measured durations (SPEC §4): each stage's expected duration from its last
/// successful runs (an exponentially weighted mean), the longest remaining weighted path of every
/// stage (the executor starts the ready stage with the longest one first), the critical path, and
/// a simulation of that policy for an estimate of the time left. Pure: the durations come in
/// Checkpoints (read from the journal by run/), no clock, no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/checkpoints.h"

namespace gw {

struct Plan;

/// How much an earlier run counts against the ones before it: ewma = a*latest + (1-a)*ewma.
inline constexpr double kEwmaAlpha = 0.5;
/// How many durations the journal keeps per stage and per step (older ones weigh < 1%).
inline constexpr size_t kDurationsKept = 8;
/// The expected duration of a step nothing is known of, when nothing else was measured either
/// (weights are then step counts, and no estimate is shown).
inline constexpr double kDefaultStepMs = 1000;

/// The exponentially weighted mean of durations, oldest first; nullopt for none.
std::optional<double> ewma(const std::vector<int64_t>& ms, double alpha = kEwmaAlpha);

/// Appends a duration to a history, keeping the last kDurationsKept.
void remember_duration(std::vector<int64_t>& history, int64_t ms);

/// Sets every stage's expected_ms, weight (what it costs this run: 0 when done or skipped) and
/// remaining (its longest weighted path to the end: the scheduling priority), the plan's critical
/// path and critical_ms. A stage's expectation is the EWMA of its own passed runs; without one, the
/// sum of its steps' EWMAs, a step without history (and each gate) counted at the mean measured
/// time per step, or kDefaultStepMs when nothing was measured. Without any measurement weights
/// are step counts (weights_measured false). Durations come from `cp.durations`, else from the
/// last passed record of each stage (`cp.stages`).
void weigh_plan(Plan& plan, const Checkpoints& cp);

/// Where a stage is in a run, for simulate().
enum class StagePhase { Pending, Running, Finished };

/// Simulates the executor's policy on `jobs` slots: running stages hold a slot for `left_ms`,
/// ready stages start by `remaining`, highest first, and run for `left_ms`; a stage starts when
/// every need in the plan has finished. Returns when the last stage would end (ms from now).
/// `phase` and `left_ms` are indexed like plan.stages.
double simulate(const Plan& plan, int jobs, const std::vector<StagePhase>& phase,
                const std::vector<double>& left_ms);

}  // namespace gw
