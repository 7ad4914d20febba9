// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_CHECKPOINTER_IMPL_HPP
#define REPRISE_DETAIL_CHECKPOINTER_IMPL_HPP

// The Checkpointer's members (checkpointer.hpp), which drive the parts: the variable set,
// the generation store, the background writer, the signal handlers and the timer.
// Compiled inline by default, once under REPRISE_SEPARATE_COMPILATION (detail/config.hpp).

#include "reprise/checkpointer.hpp"
#include "reprise/detail/environment.hpp"
#include "reprise/detail/fork.hpp"
#include "reprise/detail/format_writer.hpp"
#include "reprise/detail/log.hpp"
#include "reprise/detail/progress.hpp"
#include "reprise/detail/restore_policy.hpp"
#include "reprise/detail/store.hpp"
#include "reprise/detail/timer.hpp"
#include "reprise/detail/variables_impl.hpp"
#include "reprise/detail/writer.hpp"

#include <chrono>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include <unistd.h>

namespace reprise {

REPRISE_DECL Checkpointer::~Checkpointer() {
    if (in_forked_child()) {
        abandon();
        return;
    }
    release();
    honour_unhandled_stop();
    detail::reset_log_config();
}

REPRISE_DECL bool Checkpointer::restore() {
    if (variables_.sealed()) throw Error("reprise: restore() was already called");
    variables_.seal();
    wait_for_writer(); // a background save started by an early poll keeps the books
    detail::GenerationStore& store = writer_->store();
    detail::PersistentTier* tier = writer_->persistent_tier();
    detail::GenerationStore* persist = tier ? &tier->store() : nullptr;
    std::string where = store.directory().path();
    if (persist) where += " and " + persist->directory().path();
    const bool exists =
        !store.generations().empty() || (persist && !persist->generations().empty());
    if (!restore_wanted(exists)) {
        // Where this job's generations are: the fast tier, then the persistent one (each
        // description reads the newest file's header: only for this message).
        std::string held;
        const detail::GenerationStore* const tiers[] = {&store, persist};
        for (const detail::GenerationStore* s : tiers)
            if (s && !s->generations().empty())
                held += (held.empty() ? "" : " and ") + s->directory().path() + " holds " +
                        s->describe_generations();
        if (exists)
            detail::log_line("reprise: warning: starting fresh (" +
                             detail::why_fresh(options_.restore, job_) + ") although " + held +
                             " of " + store.describe_job() +
                             "; this run's first save supersedes them (" + how_to_resume() + ")");
        return false;
    }
    if (!exists) {
        if (job_.restart_known && job_.restart)
            detail::log_event(LogKind::note, "reprise: this run is a restart (" + job_.restart_reason +
                                           ") but " + where + (persist ? " hold" : " holds") +
                                           " no checkpoint of " + store.describe_job() +
                                           ": starting fresh");
        return false;
    }
    // Newest generation first, whichever tier holds it; of one generation in both tiers,
    // the fast tier's copy first. A rejected copy falls back to the same generation in the
    // other tier before an older one.
    std::set<std::uint64_t> all = store.generations();
    if (persist) all.insert(persist->generations().begin(), persist->generations().end());
    std::string rejected;
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (store.generations().count(*it) && load_generation(store, *it, rejected)) return true;
        if (persist && persist->generations().count(*it) && load_generation(*persist, *it, rejected))
            return true;
    }
    throw Error("reprise: restore: no valid checkpoint of " + store.describe_job() + " in " +
                where + ":" + rejected,
                ErrorKind::corrupt);
}

REPRISE_DECL void Checkpointer::save() { save_for("save()"); }

REPRISE_DECL void Checkpointer::save_for(const std::string& trigger, bool stopping) {
    detail::GenerationStore& store = store_for("save()");
    const std::uint64_t g = store.take_next();
    last_file_bytes_ = writer_->commit(
        g, [&](detail::FileSink& sink) { return write_file(sink, g, trigger); }, trigger,
        stopping);
    timer_->rearm();
}

REPRISE_DECL void Checkpointer::finish() {
    refuse_in_child("finish()");
    if (finished_) return;
    wait_for_writer();
    writer_->wait_for_copies(); // a copy in flight would re-create a file removed below
    detail::GenerationStore& store = writer_->store();
    detail::PersistentTier* tier = writer_->persistent_tier();
    store.verify_lock();
    if (tier) tier->store().verify_lock();
    finished_ = true;
    timer_->stop();
    store.remove_all(how_to_resume());
    if (tier) tier->store().remove_all(how_to_resume());
    uninstall_signal_handlers();
    honour_unhandled_stop();
}

REPRISE_DECL std::uint64_t Checkpointer::generation() const noexcept { return writer_->last_generation(); }

REPRISE_DECL std::string Checkpointer::path_of_generation(std::uint64_t g) const { return writer_->path_of(g); }

REPRISE_DECL Checkpointer::Checkpointer(Options options, detail::Coordinated how) {
    bool expected = false;
    if (!detail::g_instance_alive.compare_exchange_strong(expected, true))
        throw Error("reprise: a Checkpointer is already alive in this process; "
                    "destroy it before creating another");
    try {
        owner_pid_ = ::getpid();
        options_ = std::move(options);
        detail::apply_environment(options_);
        detail::check_options(options_);
        detail::set_log_config(
            detail::LogConfig{options_.quiet, options_.log_every_rank, how.rank, options_.log});
        if (options_.on_stop == StopAction::requeue)
            requeue_ = detail::requeue_plan_from_environment(
                detail::environment_value("REPRISE_ON_STOP") ? "REPRISE_ON_STOP=requeue"
                                                             : "Options::on_stop = requeue");
        requeues_ = how.requeues;
        if (options_.name.empty()) options_.name = program_name();
        options_.name += how.suffix;
        if (!how.suffix.empty() && options_.mode == SaveMode::background) {
            options_.mode = SaveMode::sync;
            if (!how.sync_note.empty()) detail::log_event(LogKind::note, how.sync_note);
        }
        job_ = detail::job_from_environment(options_.job);
        host_ = detail::host_name();
        writer_ = std::make_unique<detail::BackgroundWriter>(detail::StoreIdentity{
            options_.directory, options_.name, job_.key(), host_, options_.quiet});
        if (!options_.persist_directory.empty())
            writer_->add_persistent_tier(
                detail::StoreIdentity{options_.persist_directory, options_.name, job_.key(),
                                      host_, options_.quiet, "copied"},
                options_.persist_every);
        detail::g_pending.store(0);
        detail::g_stop_signal.store(0);
        if (options_.handle_signals) {
            signals_ = std::make_unique<detail::SignalHandlers>();
            detail::g_signal_handlers.store(signals_.get());
        }
        timer_ = std::make_unique<detail::IntervalTimer>(options_.interval);
    } catch (...) {
        release();
        detail::reset_log_config();
        throw;
    }
}

REPRISE_DECL detail::GenerationStore& Checkpointer::store() { return writer_->store(); }

REPRISE_DECL std::uint64_t Checkpointer::save_as(std::uint64_t g, const std::string& trigger) {
    detail::GenerationStore& store = store_for("save()");
    // A copy to the persistent tier that reads a file this save recycles ends first.
    if (detail::PersistentTier* tier = writer_->persistent_tier())
        tier->before_commit(store.kept_by_next_commit());
    last_file_bytes_ = store.save_as(
        g, [&](detail::FileSink& sink) { return write_file(sink, g, trigger); }, trigger);
    timer_->rearm();
    return last_file_bytes_;
}

REPRISE_DECL bool Checkpointer::restore_wanted(bool exists) const noexcept {
    return detail::restore_wanted(options_.restore, job_, exists);
}

REPRISE_DECL detail::PersistentTier* Checkpointer::persistent_tier() { return writer_->persistent_tier(); }

REPRISE_DECL void Checkpointer::copy_to_persistent(std::uint64_t g, bool always) {
    if (detail::PersistentTier* tier = writer_->persistent_tier()) tier->after_commit(g, always);
}

REPRISE_DECL bool Checkpointer::restore_generation(std::uint64_t g, std::string& why, bool persistent) {
    variables_.seal();
    why.clear();
    detail::PersistentTier* tier = persistent ? writer_->persistent_tier() : nullptr;
    if (persistent && !tier) {
        why = "no persistent tier";
        return false;
    }
    if (load_generation(tier ? tier->store() : writer_->store(), g, why)) return true;
    why.erase(0, 3); // "\n  " before "<path>: <reason>"
    return false;
}

REPRISE_DECL void Checkpointer::rearm_timer() {
    if (timer_) timer_->rearm();
}

REPRISE_DECL void Checkpointer::stop(bool saved) {
    stop_honoured_ = true;
    // The process stops: the copy of its last generation to the persistent tier (the one
    // a job moved to another node resumes from) ends first, whatever the stop action.
    if (writer_) writer_->wait_for_copies();
    const int sig = detail::g_stop_signal.load(std::memory_order_relaxed);
    const std::string what = std::string("reprise: stopping on ") + detail::stop_signal_name(sig) +
                             (saved || finished_ ? "" : " although the save failed");
    switch (options_.on_stop) {
    case StopAction::return_to_caller:
        return;
    case StopAction::exit:
        detail::log_event(LogKind::stopping, what + ", exit status " + std::to_string(options_.exit_status));
        release_for_exit();
        std::exit(options_.exit_status);
    case StopAction::requeue:
        if (requeue_.how == detail::RequeuePlan::How::exit_99 && saved && !finished_) {
            detail::log_event(LogKind::stopping, what + ", exit status " +
                             std::to_string(detail::kGridEngineRequeueStatus) +
                             " (Grid Engine requeues the job)");
            release_for_exit();
            std::exit(detail::kGridEngineRequeueStatus);
        }
        requeue_before_stop(saved);
        detail::log_event(LogKind::stopping, what + requeue_outcome_);
        release_for_exit();
        detail::flush_standard_streams();
        detail::die_by_signal(sig);
    case StopAction::reraise:
        detail::log_event(LogKind::stopping, what);
        release_for_exit();
        // A death by signal flushes no stdio buffer: the program's redirected output
        // would end without its last lines.
        detail::flush_standard_streams();
        detail::die_by_signal(sig);
    }
}

REPRISE_DECL void Checkpointer::requeue_before_stop(bool saved) {
    if (options_.on_stop != StopAction::requeue || requeue_asked_) return;
    requeue_asked_ = true;
    if (!requeues_) return; // another process (MPI rank 0) asks for the job
    const std::string job = requeue_.how == detail::RequeuePlan::How::scontrol
                                ? "Slurm job " + requeue_.job
                                : std::string("the job");
    if (finished_) {
        requeue_outcome_ = "; " + job + " is not requeued: finish() was called";
        return;
    }
    if (!saved) {
        // The previous generation is still valid, but a save that failed once (a full or
        // read-only file system) would likely fail in the next run too: requeueing would
        // loop, each run losing what it computed. The job stays out of the queue and
        // the person who reads this decides.
        requeue_outcome_ = "; " + job + " is not requeued after a failed save (" +
                           writer_->store().kept_generation() + ")";
        if (requeue_.how == detail::RequeuePlan::How::scontrol && writer_->last_generation() != 0)
            requeue_outcome_ += "; `" + requeue_.command() + "` resumes from it";
        return;
    }
    if (requeue_.how != detail::RequeuePlan::How::scontrol) return;
    try {
        requeue_outcome_ = detail::requeue_slurm_job(requeue_);
    } catch (const std::exception& e) {
        // Under MPI the other ranks wait for this one: nothing may escape.
        requeue_outcome_ = "; " + job + " is NOT requeued: " + e.what();
    }
}

REPRISE_DECL std::string Checkpointer::how_to_resume() const { return detail::how_to_resume(options_.restore, job_); }

REPRISE_DECL detail::GenerationStore& Checkpointer::store_for(const char* what) {
    refuse_in_child(what);
    if (finished_) throw Error(std::string("reprise: ") + what + " after finish()");
    wait_for_writer();
    return writer_->store();
}

REPRISE_DECL bool Checkpointer::load_generation(std::uint64_t g, std::string& rejected) {
    return load_generation(writer_->store(), g, rejected);
}

REPRISE_DECL bool Checkpointer::load_generation(detail::GenerationStore& from, std::uint64_t g,
                                                std::string& rejected) {
    detail::GenerationStore& store = writer_->store();
    detail::PersistentTier* tier = writer_->persistent_tier();
    detail::GenerationStore* persist = tier ? &tier->store() : nullptr;
    const bool from_persist = &from != &store;
    const std::string path = from.path_of(g);
    // With two tiers, the lines say which one: " from the persistent tier".
    const auto tier_note = [&](const char* before) {
        return persist ? std::string(before) + (from_persist ? " persistent tier" : " fast tier")
                       : std::string();
    };
    const auto start = std::chrono::steady_clock::now();
    detail::VerifiedCheckpoint file;
    std::string why;
    if (!from.open(g, file, why) || !variables_.load(file, path, why)) {
        rejected += "\n  " + path + ": " + why;
        return false;
    }
    // The generation this run continues from: the fallback of both tiers where they hold
    // it; a tier that does not keeps its own newest file until its next file is durable.
    store.restored(g);
    if (persist) {
        if (persist->generations().count(g))
            persist->restored(g);
        else
            persist->adopt();
    }
    const double seconds = detail::seconds_since(start);
    last_load_ = detail::LoadReport{file.file_size, seconds};
    if (!rejected.empty())
        detail::log_line("reprise: warning: restoring " +
                         std::string(rejected.find(from.file_name(g)) != std::string::npos
                                         ? "generation "
                                         : "the older generation ") +
                         std::to_string(g) + tier_note(" from the") + "; rejected:" + rejected);
    detail::log_event(LogKind::restored,
                "reprise: restored generation " + std::to_string(g) + " (" +
                    detail::human_bytes(file.file_size) + ", " +
                    detail::human_rate(file.file_size, seconds) + ") from " + path +
                    tier_note(" (the") + (persist ? ")" : "") +
                    variables_.restore_note() + detail::how_to_start_afresh(options_.restore, job_));
    return true;
}

REPRISE_DECL detail::Header Checkpointer::new_header(std::uint64_t generation) const {
    detail::Header header;
    header.generation = generation;
    header.time_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    header.pid = static_cast<std::uint32_t>(::getpid());
    header.host = host_;
    header.job_key = job_.key();
    header.name = options_.name;
    header.scheduler = job_.scheduler;
    variables_.describe(header);
    return header;
}

REPRISE_DECL std::uint64_t Checkpointer::write_file(detail::FileSink& sink, std::uint64_t generation,
                                                 const std::string& trigger) {
    detail::Header header = new_header(generation);
    const std::uint64_t payload_offset = detail::payload_offset_for(header);
    if (!save_buffer_) save_buffer_.reset(new char[kSaveBufferSize]);
    detail::PayloadSink payload(sink, payload_offset, save_buffer_.get(), kSaveBufferSize,
                                detail::parse_compression("Options::compress", options_.compress));
    detail::SaveProgress progress(generation, trigger, writer_->path_of(generation), 0,
                                  last_file_bytes_);
    payload.watch(&progress);
    variables_.serialize(payload, header);
    const std::uint64_t payload_size = payload.size();
    const std::vector<detail::ChunkHash>& chunks = payload.finish();
    return detail::write_file_tail(sink, header, payload_offset, payload_size, chunks,
                                   payload.stored());
}

REPRISE_DECL bool Checkpointer::handle_requests() {
    const unsigned requests = detail::g_pending.exchange(0, std::memory_order_acquire);
    if (requests == 0) return false;
    const unsigned reasons = detail::g_save_reasons.exchange(0, std::memory_order_relaxed);
    if (writer_->ended()) wait_for_writer();
    bool saved = false;
    const bool stopping = (requests & detail::kStopRequested) != 0;
    if (!finished_ && (stopping || (requests & detail::kSaveRequested))) {
        try {
            if (options_.mode == SaveMode::background && !stopping) {
                saved = save_in_background(reasons);
            } else {
                // A stop waits for the save in flight, then saves durably itself.
                save_for(stopping ? detail::stop_trigger(detail::g_stop_signal.load())
                                  : detail::describe_save_reasons(reasons),
                         stopping);
                saved = true;
            }
        } catch (const std::exception& e) {
            timer_->rearm(); // a failed periodic save is tried again an interval later
            detail::log_line(std::string(e.what()) + "; the computation goes on, " +
                             writer_->store().kept_generation());
        }
    }
    if (stopping) stop(saved);
    return saved;
}

REPRISE_DECL bool Checkpointer::save_in_background(unsigned reasons) {
    if (writer_->defer_if_busy()) {
        // Said by the save the writer re-posts when it ends.
        detail::g_save_reasons.fetch_or(reasons, std::memory_order_relaxed);
        return false;
    }
    wait_for_writer();
    const std::uint64_t g = writer_->store().take_next();
    detail::Header header = new_header(g);
    writer_->save(g, std::move(header), detail::describe_save_reasons(reasons),
                  detail::parse_compression("Options::compress", options_.compress),
                  [&](auto& sink, detail::Header& h) { variables_.serialize(sink, h); },
                  [this] { timer_->rearm(); });
    return true;
}

REPRISE_DECL bool Checkpointer::wait_for_writer() noexcept {
    if (!writer_) return true;
    const std::string error = writer_->take_error();
    if (error.empty()) return true;
    if (timer_) timer_->rearm(); // a failed periodic save is tried again an interval later
    detail::log_line(error + "; the computation goes on, " + writer_->store().kept_generation());
    return false;
}

REPRISE_DECL void Checkpointer::honour_unhandled_stop() {
    const int sig = detail::g_stop_signal.load();
    if (sig == 0 || stop_honoured_ || options_.on_stop == StopAction::return_to_caller)
        return;
    stop_honoured_ = true;
    uninstall_signal_handlers();
    std::string what = std::string("reprise: stopping on ") + detail::stop_signal_name(sig) +
                       " that arrived after the last poll";
    // No save was made for this signal: a job whose computation may be over (finish(),
    // or the end of main) must not run again from an older generation.
    if (options_.on_stop == StopAction::requeue) what += "; the job is not requeued";
    if (options_.on_stop == StopAction::exit) {
        detail::log_event(LogKind::stopping, what + ", exit status " + std::to_string(options_.exit_status));
        std::exit(options_.exit_status);
    }
    detail::log_event(LogKind::stopping, what);
    detail::flush_standard_streams();
    detail::die_by_signal(sig);
}

REPRISE_DECL void Checkpointer::uninstall_signal_handlers() noexcept {
    if (!signals_) return;
    detail::SignalHandlers* expected = signals_.get();
    detail::g_signal_handlers.compare_exchange_strong(expected, nullptr);
    signals_.reset();
}

REPRISE_DECL bool Checkpointer::in_forked_child() const noexcept { return owner_pid_ != 0 && ::getpid() != owner_pid_; }

REPRISE_DECL void Checkpointer::refuse_in_child(const char* what) const {
    if (in_forked_child())
        throw Error(std::string("reprise: ") + what + " in a child made by fork(): this "
                    "Checkpointer belongs to process " + std::to_string(owner_pid_) +
                    "; a child that must save makes a Checkpointer of its own");
}

REPRISE_DECL void Checkpointer::abandon() noexcept {
    if (writer_) writer_.release()->abandon();
    (void)timer_.release();
    (void)signals_.release();
}

REPRISE_DECL std::string Checkpointer::program_name() {
#if defined(__GLIBC__)
    if (program_invocation_short_name && *program_invocation_short_name)
        return program_invocation_short_name;
#endif
    return "program";
}

REPRISE_DECL void Checkpointer::release_for_exit() noexcept {
    wait_for_writer(); // a save in flight is worth finishing
    if (writer_) writer_->wait_for_copies(); // and so is its copy to the persistent tier
    if (timer_) timer_->stop();
    if (writer_) writer_->store().finish_cleanup();
    uninstall_signal_handlers();
}

REPRISE_DECL void Checkpointer::release() noexcept {
    release_for_exit();
    timer_.reset();
    writer_.reset(); // the store: its lock and directory
    detail::g_instance_alive.store(false);
}

} // namespace reprise

#endif
