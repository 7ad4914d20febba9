// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// `reprise`, the job manager: runs programs built with reprise as jobs that can be
// checkpointed, stopped and restarted, on this host or on another one that shares the
// registry (REPRISE_HOME). README.md, "The job manager", shows it at work.

#include "commands.hpp"
#include "exit_status.hpp"
#include "job_environment.hpp"
#include "registry.hpp"

#include "reprise/detail/parse.hpp"
#include "reprise/error.hpp"
#include "reprise/version.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::string version_text() {
    return "reprise " + std::to_string(REPRISE_VERSION_MAJOR) + "." + std::to_string(REPRISE_VERSION_MINOR) +
           "." + std::to_string(REPRISE_VERSION_PATCH);
}

// "reprise: start: <what CLI11 says>": the house style for every error, usage errors too.
std::string usage_error(const CLI::App* app, const CLI::Error& e) {
    std::string where;
    for (const CLI::App* sub : app->get_subcommands()) where += sub->get_name() + ": ";
    const std::vector<std::string> rest = app->remaining();
    if (where.empty() && !rest.empty() && !rest.front().empty() && rest.front()[0] != '-') {
        std::string commands;
        for (const CLI::App* sub : app->get_subcommands({}))
            commands += (commands.empty() ? "" : ", ") + sub->get_name();
        return "reprise: unknown command '" + rest.front() + "'; the commands are " + commands +
               "\nRun with --help for more information.\n";
    }
    return "reprise: " + where + e.what() + "\nRun with --help for more information.\n";
}

// The job id is taken as typed and parsed after CLI11, by detail/parse.hpp, like every
// other value from outside (see parse_arguments).
CLI::Option* add_id(CLI::App* command, std::string& id) {
    return command->add_option("ID", id, "the job's id, as `reprise list` shows it")->required();
}

constexpr const char* kDurationHelp =
    "90 or 1.5 (seconds), 90s, 30m, 1h, 2d; at most 3650d";

// A duration that must be more than zero (a timeout; a period, where 0 would mean none).
double positive_duration(const char* option, const std::string& text) {
    const double seconds = reprise::detail::parse_duration(option, text);
    if (seconds <= 0)
        reprise::detail::bad_value(option, text, std::string("a duration more than zero: ") + kDurationHelp);
    return seconds;
}

long job_id(const std::string& text) {
    if (text.size() > 1 && text[0] == '0') // "007" is not how `reprise list` shows a job
        reprise::detail::bad_value("ID", text,
                                   "a whole number from 1 to " + std::to_string(reprise::manager::kMaxJobId) +
                                       " as `reprise list` shows it (no leading zero)");
    return static_cast<long>(reprise::detail::parse_unsigned("ID", text, 1, reprise::manager::kMaxJobId));
}

} // namespace

int main(int argc, char** argv) {
    namespace manager = reprise::manager;

    CLI::App app{"Runs programs built with reprise as jobs that can be checkpointed, stopped and\n"
                 "restarted, on this host or on another one that shares the registry.",
                 "reprise"};
    app.require_subcommand(1, 1);
    app.set_version_flag("--version", version_text());
    app.failure_message(usage_error);
    app.footer("The registry is REPRISE_HOME (default: ~/.local/share/reprise); it may be on NFS,\n"
               "shared by several hosts. It must be yours: a registry directory, job directory or\n"
               "job record that another user owns, or that group or others may write, is refused\n"
               "(`chmod go-w PATH`), since `restart` runs the command a record holds.\n"
               "Durations (--every, --timeout, --grace, --older-than): 90 or 1.5 (seconds), 90s, 30m,\n"
               "1h, 2d; at most 3650d.\n"
               "A job that exited 0 is \"finished\" only when no checkpoint of it is left (finish()\n"
               "removes them); with one left it is \"stopped\" and `restart` resumes it.\n"
               "The checkpoint directory of a job: start --dir DIR; else REPRISE_DIR when set; else\n"
               "the job's entry in the registry. Both --dir and REPRISE_DIR naming different\n"
               "directories is an error, and so is a restart with a REPRISE_DIR that is not the job's.\n"
               "`reprise COMMAND --help` describes each command.\n" +
               std::string(manager::exit_status_help()));

    manager::StartRequest start;
    std::string start_every;
    CLI::App* start_command = app.add_subcommand(
        "start", "Start a new job: a new id, its own checkpoint directory, the program run with\n"
                 "REPRISE_JOB naming the job; attached to this terminal (Ctrl-C saves and stops)\n"
                 "unless --detach.");
    start_command
        ->add_option("--every", start_every,
                     std::string("checkpoint periodically (REPRISE_INTERVAL): ") + kDurationHelp +
                         "; 0: never (the default)")
        ->type_name("DURATION");
    start_command->add_option("--name", start.name, "the checkpoint name (default: the program's file name)");
    start_command->add_flag("-d,--detach", start.detach,
                            "run in the background, output in the job's log (see `reprise info`)");
    start_command
        ->add_option("--env", start.env,
                     "record NAME (its value here) or NAME=VALUE in the job's environment, replayed by\n"
                     "restart (repeatable). Recorded without asking:\n" + manager::allow_list_text())
        ->type_name("NAME[=VALUE]")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    start_command
        ->add_option("--dir", start.dir,
                     "the checkpoint directory (REPRISE_DIR of the program), created 0700 when missing;\n"
                     "yours, writable by nobody else. Default: REPRISE_DIR when set, else the job's entry")
        ->type_name("DIR");
    start_command->add_option("PROGRAM", start.command, "the program, then its arguments (after --)")
        ->required();
    start_command->positionals_at_end();

    bool list_json = false;
    CLI::App* list_command = app.add_subcommand(
        "list", "One line per job: id, host, status, last checkpoint, command.");
    list_command->add_flag("--json", list_json, "one JSON document instead (schema: docs/manager.md, \"Scripting\")");

    std::string info_id;
    CLI::App* info_command = app.add_subcommand(
        "info", "Everything about one job: host, command, status, generations, restarts...");
    add_id(info_command, info_id);
    bool info_json = false;
    info_command->add_flag("--json", info_json, "one JSON document instead (schema: docs/manager.md, \"Scripting\")");

    std::string checkpoint_id;
    std::string checkpoint_timeout = "120";
    CLI::App* checkpoint_command = app.add_subcommand(
        "checkpoint", "Ask a running job for a checkpoint (SIGUSR1) and wait until the new generation\n"
                      "is on disk, verified and durable; then print it. The job must run on this host.");
    add_id(checkpoint_command, checkpoint_id);
    checkpoint_command
        ->add_option("--timeout", checkpoint_timeout, std::string("how long to wait (default 120s): ") + kDurationHelp)
        ->type_name("DURATION");

    std::string stop_id;
    std::string stop_timeout = "300";
    CLI::App* stop_command = app.add_subcommand(
        "stop", "Save and stop a running job (SIGTERM) and wait until it has ended. The job must\n"
                "run on this host.");
    add_id(stop_command, stop_id);
    stop_command->add_option("--timeout", stop_timeout, std::string("how long to wait (default 300s): ") + kDurationHelp)
        ->type_name("DURATION");
    manager::ForceStop stop_force;
    std::string stop_grace = "30";
    stop_command->add_flag("--force", stop_force.force,
                           "SIGTERM at once, even to a program without a Checkpointer; after the grace,\n"
                           "SIGKILL to the program and its descendants");
    stop_command
        ->add_option("--grace", stop_grace,
                     std::string("with --force, how long SIGTERM has before SIGKILL (default 30s): ") + kDurationHelp)
        ->type_name("DURATION");

    std::string restart_id;
    bool restart_detach = false;
    CLI::App* restart_command = app.add_subcommand(
        "restart", "Run a job that is not running again, here, from its newest valid checkpoint\n"
                   "(same job id, same checkpoint files); refused while the job runs on any host, and\n"
                   "for a job that finished (exit status 0 and no checkpoint left: finish() removed them).");
    add_id(restart_command, restart_id);
    restart_command->add_flag("-d,--detach", restart_detach, "run in the background, output in the job's log");

    std::vector<std::string> rm_ids;
    CLI::App* rm_command = app.add_subcommand(
        "rm", "Remove jobs that are not running: their records, checkpoints and logs. All or\n"
              "nothing: when one of the ids cannot be removed (no such job, running), none is.");
    rm_command->add_option("ID", rm_ids, "the jobs' ids, as `reprise list` shows them")->required();

    manager::PruneRequest prune;
    std::string prune_older_than;
    CLI::App* prune_command = app.add_subcommand(
        "prune", "Remove the jobs that finished, failed or died, whose last run ended at least\n"
                 "--older-than ago. Never a running job; a restartable one (stopped, or with a\n"
                 "checkpoint to resume from) only with --restartable.");
    prune_command
        ->add_option("--older-than", prune_older_than, std::string("the age: ") + kDurationHelp + "; 0: any")
        ->type_name("DURATION")
        ->required();
    prune_command->add_flag("-n,--dry-run", prune.dry_run, "say what would be removed, remove nothing");
    prune_command->add_flag("--restartable", prune.restartable,
                            "remove restartable jobs too (stopped ones, failed or dead ones with a checkpoint)");

    std::string inspect_target;
    CLI::App* inspect_command = app.add_subcommand(
        "inspect", "Show a checkpoint file's header, variables and sizes, and whether its checksums\n"
                   "are valid; given a job id, every generation of that job.");
    inspect_command->add_option("TARGET", inspect_target, "a checkpoint file, or a job id")->required();
    bool inspect_json = false;
    inspect_command->add_flag("--json", inspect_json, "one JSON document instead (schema: docs/manager.md, \"Scripting\")");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    // Every value from the command line through detail/parse.hpp, strictly: a value that is
    // not understood is a usage error naming the option and the value.
    std::string command_name;
    for (const CLI::App* sub : app.get_subcommands()) command_name = sub->get_name();
    long id = 0;
    double timeout = 0;
    std::vector<long> rm_job_ids;
    try {
        for (const auto& [command, text] : {std::pair<CLI::App*, const std::string*>{info_command, &info_id},
                                            {checkpoint_command, &checkpoint_id}, {stop_command, &stop_id},
                                            {restart_command, &restart_id}})
            if (*command) id = job_id(*text);
        if (*rm_command) {
            for (const std::string& text : rm_ids) rm_job_ids.push_back(job_id(text));
            if (rm_job_ids.size() == 1) id = rm_job_ids.front(); // "rm 7: ..." in its errors
        }
        if (*prune_command) prune.older_than = reprise::detail::parse_duration("--older-than", prune_older_than);
        if (*start_command) {
            if (*start_command->get_option("--every"))
                start.every = reprise::detail::parse_duration("--every", start_every);
            if (*start_command->get_option("--name")) reprise::detail::check_identifier("--name", start.name);
        }
        if (*checkpoint_command) timeout = positive_duration("--timeout", checkpoint_timeout);
        if (*stop_command) timeout = positive_duration("--timeout", stop_timeout);
        if (*stop_command && *stop_command->get_option("--grace")) {
            if (!stop_force.force)
                throw reprise::Error("reprise: --grace is how long --force waits: give --force too");
            stop_force.grace = reprise::detail::parse_duration("--grace", stop_grace);
        }
    } catch (const reprise::Error& e) {
        std::string message = e.what();
        if (message.rfind("reprise: ", 0) == 0) message.erase(0, 9);
        std::cerr << "reprise: " << command_name << ": " << message << "\nRun with --help for more information.\n";
        return 2;
    }

    // "info 7", "restart 7": what a registry error about the entry is prefixed with.
    std::string what = command_name;
    if (id > 0) what += " " + std::to_string(id);
    if (!inspect_target.empty()) what += " " + inspect_target;

    try {
        if (*start_command) return manager::start_job(start);
        if (*list_command) return manager::list_jobs(list_json);
        if (*info_command) return manager::show_info(id, info_json);
        if (*checkpoint_command) return manager::checkpoint_job(id, timeout);
        if (*stop_command) return manager::stop_job(id, timeout, stop_force);
        if (*restart_command) return manager::restart_job(id, restart_detach);
        if (*rm_command) return manager::remove_jobs(rm_job_ids);
        if (*prune_command) return manager::prune_jobs(prune);
        if (*inspect_command) return manager::inspect(inspect_target, inspect_json);
    } catch (const manager::RegistryEntryError& e) {
        std::cout.flush();
        std::string message = e.what();
        if (message.rfind("reprise: ", 0) == 0) message.erase(0, 9);
        std::cerr << "reprise: " << what << ": " << message << "\n";
        return manager::exit_status_for(e);
    } catch (const reprise::Error& e) {
        std::cout.flush();
        std::cerr << e.what() << "\n";
        return manager::exit_status_for(e);
    } catch (const std::exception& e) {
        std::cout.flush();
        std::cerr << "reprise: " << e.what() << "\n";
        return 1;
    }
    return 2;
}
