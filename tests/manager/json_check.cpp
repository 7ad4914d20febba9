// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
//
// Checks a document printed by `reprise list|info|inspect --json` against the schema that
// docs/manager.md ("Scripting") documents: every field present, of its type, and no field
// that the page does not list. Then prints the values the test asks for, so that a bash
// test needs neither python nor jq.
//
// usage: json_check list|info|inspect [PATH...] < document
//   PATH: keys and array indices separated by '.', e.g. jobs.0.state; a string prints raw,
//   anything else as JSON. Exit status 0: valid (and every PATH found); 1 otherwise.
//
// Build and run: built by tests/manager/CMakeLists.txt as reprise_manager_json_check.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

enum Type { integer, number, string, boolean, array, object, string_or_null, integer_or_null };

bool has_type(const json& v, Type t) {
    switch (t) {
    case integer: return v.is_number_integer();
    case number: return v.is_number();
    case string: return v.is_string();
    case boolean: return v.is_boolean();
    case array: return v.is_array();
    case object: return v.is_object();
    case string_or_null: return v.is_string() || v.is_null();
    case integer_or_null: return v.is_number_integer() || v.is_null();
    }
    return false;
}

void fail(const std::string& where, const std::string& why) { throw std::runtime_error(where + ": " + why); }

void check_fields(const json& o, const std::string& where, const std::map<std::string, Type>& fields) {
    if (!o.is_object()) fail(where, "not an object: " + o.dump());
    for (const auto& [name, type] : fields) {
        if (!o.contains(name)) fail(where, "field '" + name + "' is missing");
        if (!has_type(o.at(name), type)) fail(where + "." + name, "wrong type: " + o.at(name).dump());
    }
    for (const auto& item : o.items())
        if (!fields.count(item.key())) fail(where, "field '" + item.key() + "' is not in the documented schema");
}

void check_generation(const json& g, const std::string& where) {
    check_fields(g, where,
                 {{"number", integer}, {"path", string}, {"size", integer}, {"mtime", integer}, {"ranks", integer_or_null}});
}

void check_job(const json& j, const std::string& where) {
    check_fields(j, where,
                 {{"id", integer}, {"name", string}, {"host", string}, {"state", string}, {"status", string},
                  {"restartable", boolean}, {"command", array}, {"cwd", string}, {"created", integer},
                  {"started", integer}, {"ended", integer_or_null}, {"pid", integer_or_null},
                  {"supervisor_pid", integer_or_null}, {"exit_status", integer_or_null},
                  {"signal", string_or_null}, {"every", number}, {"restarts", integer}, {"detached", boolean},
                  {"output", string_or_null}, {"checkpoint_dir", string}, {"environment", object},
                  {"generations", array}, {"last_checkpoint", object}, {"mpi", object}});
}

// An MPI commit record (kind "commit_record"): its fields are present when the record is
// intact ("generation" tells), whether or not every rank's file is bound ("valid").
void check_commit_record(const json& c, const std::string& where) {
    std::map<std::string, Type> fields{
        {"kind", string}, {"path", string}, {"size", integer}, {"valid", boolean}, {"why", string_or_null}};
    if (c.contains("generation"))
        fields.insert({{"generation", integer}, {"job_key", string}, {"name", string}, {"ranks", integer},
                       {"total_size", integer}, {"files", array}});
    check_fields(c, where, fields);
    if (c.at("valid").get<bool>() == c.at("why").is_string()) fail(where + ".why", "null exactly when valid");
    if (c.at("valid").get<bool>() && !c.contains("generation")) fail(where, "valid but without its fields");
    if (!c.contains("generation")) return;
    if (c.at("files").size() != c.at("ranks").get<std::size_t>()) fail(where + ".files", "not one per rank");
    for (std::size_t i = 0; i < c.at("files").size(); ++i)
        check_fields(c.at("files")[i], where + ".files." + std::to_string(i),
                     {{"rank", integer}, {"path", string}, {"size", integer}, {"bound", boolean}, {"why", string_or_null}});
}

void check_checkpoint(const json& c, const std::string& where) {
    if (!c.is_object() || !c.contains("kind") || !c.at("kind").is_string()) fail(where, "no string \"kind\"");
    if (c.at("kind") == "commit_record") return check_commit_record(c, where);
    if (c.at("kind") != "checkpoint") fail(where + ".kind", "not a documented kind: " + c.at("kind").dump());
    std::map<std::string, Type> fields{
        {"kind", string}, {"path", string}, {"size", integer}, {"valid", boolean}, {"why", string_or_null}};
    if (c.value("valid", false)) {
        fields.insert({{"format_version", integer}, {"generation", integer}, {"saved_at_ns", integer},
                       {"pid", integer}, {"host", string}, {"job_key", string}, {"name", string},
                       {"scheduler", string_or_null}, {"payload_offset", integer}, {"payload_size", integer},
                       {"payload_stored", integer_or_null}, {"variables", array}, {"parameters", array}});
    }
    check_fields(c, where, fields);
    if (!c.at("valid").get<bool>()) return;
    for (std::size_t i = 0; i < c.at("variables").size(); ++i)
        check_fields(c.at("variables")[i], where + ".variables." + std::to_string(i),
                     {{"name", string}, {"type", string_or_null}, {"size", integer}});
    for (std::size_t i = 0; i < c.at("parameters").size(); ++i)
        check_fields(c.at("parameters")[i], where + ".parameters." + std::to_string(i),
                     {{"name", string}, {"kind", string}, {"value", string}});
}

void check_job_deep(json j, const std::string& where) {
    // last_checkpoint is a generation or null: checked apart from the flat table.
    const json last = j.at("last_checkpoint");
    if (!last.is_null()) check_generation(last, where + ".last_checkpoint");
    j["last_checkpoint"] = json::object();
    // mpi: null, or {"launcher": string, "ranks": integer or null}.
    const json mpi = j.at("mpi");
    if (!mpi.is_null()) check_fields(mpi, where + ".mpi", {{"launcher", string}, {"ranks", integer_or_null}});
    j["mpi"] = json::object();
    check_job(j, where);
    static const std::vector<std::string> states{"running", "stopped", "finished", "failed", "dead", "unknown"};
    if (std::find(states.begin(), states.end(), j.at("state").get<std::string>()) == states.end())
        fail(where + ".state", "not a documented state: " + j.at("state").dump());
    for (const auto& a : j.at("command"))
        if (!a.is_string()) fail(where + ".command", "not an array of strings");
    for (const auto& item : j.at("environment").items())
        if (!item.value().is_string()) fail(where + ".environment." + item.key(), "not a string");
    for (std::size_t i = 0; i < j.at("generations").size(); ++i)
        check_generation(j.at("generations")[i], where + ".generations." + std::to_string(i));
}

const json& at_path(const json& doc, const std::string& path) {
    const json* v = &doc;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto dot = path.find('.', start);
        const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (v->is_array()) {
            v = &v->at(std::stoul(key));
        } else {
            if (!v->contains(key)) fail(path, "no such field");
            v = &v->at(key);
        }
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return *v;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: json_check list|info|inspect [PATH...] < document\n";
        return 2;
    }
    try {
        const json doc = json::parse(std::cin);
        const std::string kind = argv[1];
        if (!doc.is_object() || doc.value("schema", 0) != 1) fail("document", "no \"schema\": 1");
        if (kind == "list") {
            check_fields(doc, "document", {{"schema", integer}, {"registry", string}, {"jobs", array}, {"errors", array}});
            for (std::size_t i = 0; i < doc.at("jobs").size(); ++i)
                check_job_deep(doc.at("jobs")[i], "jobs." + std::to_string(i));
            for (std::size_t i = 0; i < doc.at("errors").size(); ++i)
                check_fields(doc.at("errors")[i], "errors." + std::to_string(i), {{"id", integer}, {"error", string}});
        } else if (kind == "info") {
            check_fields(doc, "document", {{"schema", integer}, {"job", object}});
            check_job_deep(doc.at("job"), "job");
        } else if (kind == "inspect") {
            check_fields(doc, "document", {{"schema", integer}, {"checkpoints", array}});
            for (std::size_t i = 0; i < doc.at("checkpoints").size(); ++i)
                check_checkpoint(doc.at("checkpoints")[i], "checkpoints." + std::to_string(i));
        } else {
            fail("usage", "unknown kind " + kind);
        }
        for (int i = 2; i < argc; ++i) {
            const json& v = at_path(doc, argv[i]);
            std::cout << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "json_check: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
