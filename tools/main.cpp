// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// `reprise`, the job manager: runs programs built with reprise as jobs that can be
// checkpointed, stopped and restarted, on this host or on another one that shares the
// registry (REPRISE_HOME). README.md, "The job manager", shows it at work.

#include "commands.hpp"
#include "registry.hpp"

#include "reprise/error.hpp"
#include "reprise/version.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <map>
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

CLI::Option* add_id(CLI::App* command, long& id) {
    return command->add_option("ID", id, "the job's id, as `reprise list` shows it")
        ->required()
        ->check([](const std::string& text) {
            const bool number = !text.empty() && text.size() < 13 && text[0] != '0' &&
                                text.find_first_not_of("0123456789") == std::string::npos;
            return number ? std::string()
                          : "'" + text + "' is not a job id (a positive whole number, as `reprise list` shows)";
        });
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
               "shared by several hosts. `reprise COMMAND --help` describes each command.");

    manager::StartRequest start;
    CLI::App* start_command = app.add_subcommand(
        "start", "Start a new job: a new id, the program run with JOB_ID=<id> and its own checkpoint\n"
                 "directory; attached to this terminal (Ctrl-C saves and stops) unless --detach.");
    start_command
        ->add_option("--every", start.every,
                     "checkpoint periodically, e.g. 90s, 30m, 1h, 2d (a bare number is seconds)")
        ->transform(CLI::AsNumberWithUnit(std::map<std::string, double>{{"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}},
                                          CLI::AsNumberWithUnit::CASE_SENSITIVE)
                        .description(""))
        ->check([](const std::string& seconds) {
            double value = 0;
            return CLI::detail::lexical_cast(seconds, value) && value > 0
                       ? std::string()
                       : "a duration must be more than zero, not " + seconds + " s";
        })
        ->type_name("DURATION");
    start_command
        ->add_option("--name", start.name, "the checkpoint name (default: the program's file name)")
        ->check([](const std::string& name) { return name.empty() ? std::string("empty name") : std::string(); });
    start_command->add_flag("-d,--detach", start.detach,
                            "run in the background, output in the job's log (see `reprise info`)");
    start_command->add_option("PROGRAM", start.command, "the program, then its arguments (after --)")
        ->required();
    start_command->positionals_at_end();

    CLI::App* list_command = app.add_subcommand(
        "list", "One line per job: id, host, status, last checkpoint, command.");

    long info_id = 0;
    CLI::App* info_command = app.add_subcommand(
        "info", "Everything about one job: host, command, status, generations, restarts...");
    add_id(info_command, info_id);

    long checkpoint_id = 0;
    double checkpoint_timeout = 120;
    CLI::App* checkpoint_command = app.add_subcommand(
        "checkpoint", "Ask a running job for a checkpoint (SIGUSR1) and wait until the new generation\n"
                      "is on disk, verified and durable; then print it. The job must run on this host.");
    add_id(checkpoint_command, checkpoint_id);
    checkpoint_command->add_option("--timeout", checkpoint_timeout, "seconds to wait (default 120)")
        ->check(CLI::PositiveNumber);

    long stop_id = 0;
    double stop_timeout = 300;
    CLI::App* stop_command = app.add_subcommand(
        "stop", "Save and stop a running job (SIGTERM) and wait until it has ended. The job must\n"
                "run on this host.");
    add_id(stop_command, stop_id);
    stop_command->add_option("--timeout", stop_timeout, "seconds to wait (default 300)")
        ->check(CLI::PositiveNumber);

    long restart_id = 0;
    bool restart_detach = false;
    CLI::App* restart_command = app.add_subcommand(
        "restart", "Run a job that is not running again, here, from its newest valid checkpoint\n"
                   "(RESTARTED=1, same job id); refused while the job runs on any host.");
    add_id(restart_command, restart_id);
    restart_command->add_flag("-d,--detach", restart_detach, "run in the background, output in the job's log");

    long rm_id = 0;
    CLI::App* rm_command =
        app.add_subcommand("rm", "Remove a job that is not running: its record, checkpoints and log.");
    add_id(rm_command, rm_id);

    std::string inspect_target;
    CLI::App* inspect_command = app.add_subcommand(
        "inspect", "Show a checkpoint file's header, variables and sizes, and whether its checksums\n"
                   "are valid; given a job id, every generation of that job.");
    inspect_command->add_option("TARGET", inspect_target, "a checkpoint file, or a job id")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    // "info 7", "restart 7": what a registry error about the entry is prefixed with.
    std::string what;
    for (const CLI::App* sub : app.get_subcommands()) {
        what = sub->get_name();
        for (const long id : {info_id, checkpoint_id, stop_id, restart_id, rm_id})
            if (id > 0) what += " " + std::to_string(id);
        if (!inspect_target.empty()) what += " " + inspect_target;
    }

    try {
        if (*start_command) return manager::start_job(start);
        if (*list_command) return manager::list_jobs();
        if (*info_command) return manager::show_info(info_id);
        if (*checkpoint_command) return manager::checkpoint_job(checkpoint_id, checkpoint_timeout);
        if (*stop_command) return manager::stop_job(stop_id, stop_timeout);
        if (*restart_command) return manager::restart_job(restart_id, restart_detach);
        if (*rm_command) return manager::remove_job(rm_id);
        if (*inspect_command) return manager::inspect(inspect_target);
    } catch (const manager::RegistryEntryError& e) {
        std::cout.flush();
        std::string message = e.what();
        if (message.rfind("reprise: ", 0) == 0) message.erase(0, 9);
        std::cerr << "reprise: " << what << ": " << message << "\n";
        return 1;
    } catch (const reprise::Error& e) {
        std::cout.flush();
        std::cerr << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cout.flush();
        std::cerr << "reprise: " << e.what() << "\n";
        return 1;
    }
    return 2;
}
