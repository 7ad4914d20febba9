// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_VARIABLES_IMPL_HPP
#define REPRISE_DETAIL_VARIABLES_IMPL_HPP

// The variable set's restore half (variables.hpp): the checks that decide whether a
// checkpoint is this program's, then the loading of each variable from its bytes in the
// file. Compiled inline by default, once under REPRISE_SEPARATE_COMPILATION
// (detail/config.hpp).

#include "reprise/detail/format_reader.hpp"
#include "reprise/detail/variables.hpp"

#include <algorithm>
#include <exception>
#include <string>

namespace reprise::detail {

REPRISE_DECL bool VariableSet::load(const VerifiedCheckpoint& file, const std::string& path, std::string& why) {
    note_.clear();
    check_names(file.header, path);
    if (file.format_version >= 2) check_types(file.header, path);
    check_parameters(file.header, path);
    // In the order of the file, so that its payload is read once, from start to end (a
    // new_variable, not in the file, keeps its value).
    PayloadReader reader(file, path);
    for (const auto& e : file.header.variables)
        if (!load_one(reader, path, *find(e.name), e, why)) return false;
    return true;
}

REPRISE_DECL std::vector<VariableEntry>::const_iterator
VariableSet::entry_of(const Header& header, const std::string& name) {
    return std::find_if(header.variables.begin(), header.variables.end(),
                        [&](const VariableEntry& e) { return e.name == name; });
}

REPRISE_DECL void VariableSet::check_names(const Header& header, const std::string& path) {
    std::string missing, extra, kept;
    std::size_t kept_count = 0;
    for (const auto& v : variables_) {
        if (entry_of(header, v.name) != header.variables.end()) continue;
        if (has(v.flags, TrackFlags::new_variable)) {
            kept += (kept.empty() ? "'" : ", '") + v.name + "'";
            ++kept_count;
        } else {
            missing += (missing.empty() ? "" : ", ") + v.name;
        }
    }
    for (const auto& e : header.variables)
        if (find(e.name) == variables_.end()) extra += (extra.empty() ? "" : ", ") + e.name;
    if (!missing.empty() || !extra.empty())
        throw Error("reprise: restore " + path +
                    ": the checkpoint's variables differ from the program's; tracked but "
                    "not in the checkpoint: " + (missing.empty() ? "none" : missing) +
                    "; in the checkpoint but not tracked: " + (extra.empty() ? "none" : extra) +
                    (missing.empty() ? ""
                                     : ". A variable the program gained since the checkpoint "
                                       "can keep its value: track it with reprise::new_variable"),
                    ErrorKind::mismatch);
    if (!kept.empty())
        note_ = "; " + kept + " not in the checkpoint, kept " +
                (kept_count == 1 ? "its value" : "their values");
}

REPRISE_DECL void VariableSet::check_types(const Header& header, const std::string& path) const {
    std::string changed;
    for (const auto& v : variables_) {
        if (has(v.flags, TrackFlags::any_type)) continue;
        const auto e = entry_of(header, v.name);
        if (e == header.variables.end() || e->type == v.type) continue;
        changed += (changed.empty() ? "" : "; ") + ("variable '" + v.name +
                   "' was saved as " + demangle(e->type) +
                   ", the program tracks it as " + demangle(v.type));
    }
    if (!changed.empty())
        throw Error("reprise: restore " + path + ": " + changed +
                    ". If the change is intended and the new type can load what the "
                    "old one saved, track the variable with reprise::any_type",
                    ErrorKind::mismatch);
}

REPRISE_DECL void VariableSet::check_parameters(const Header& header, const std::string& path) const {
    std::string differ;
    auto add = [&](const std::string& text) { differ += (differ.empty() ? "" : "; ") + text; };
    for (const auto& p : parameters_) {
        const auto saved = std::find_if(header.parameters.begin(), header.parameters.end(),
                                        [&](const auto& e) { return e.name == p.name; });
        if (saved == header.parameters.end()) {
            add("'" + p.name + "' is " + describe_value(p) +
                " in this run and not in the checkpoint");
        } else if (saved->kind != p.kind || saved->value != p.value) {
            const bool kinds = saved->kind != p.kind;
            add("'" + p.name + "' was " + describe_value(*saved) +
                (kinds ? std::string(" (") + kind_name(saved->kind) + ")" : "") +
                " in the checkpoint, is " + describe_value(p) +
                (kinds ? std::string(" (") + kind_name(p.kind) + ")" : "") +
                " in this run");
        }
    }
    for (const auto& e : header.parameters) {
        const bool recorded = std::any_of(parameters_.begin(), parameters_.end(),
                                          [&](const auto& p) { return p.name == e.name; });
        if (!recorded)
            add("'" + e.name + "' was " + describe_value(e) +
                " in the checkpoint and this run does not record it");
    }
    if (!differ.empty())
        throw Error("reprise: restore " + path + ": the checkpoint was taken with other "
                    "parameters: " + differ + ". It belongs to another computation: to "
                    "start this one afresh, set REPRISE_RESTORE=never (its first save "
                    "supersedes the old checkpoint) or use another REPRISE_DIR",
                    ErrorKind::mismatch);
}

REPRISE_DECL bool VariableSet::load_one(PayloadReader& reader, const std::string& path,
                                    const Variable& v, const VariableEntry& e,
                                    std::string& why) {
    FileRangeSource source(reader, e.offset, e.size);
    try {
        InputArchive archive(source);
        v.load(archive, v.object);
    } catch (const Error&) {
        if (reader.error().empty()) throw;
        // A read error or a chunk that does not verify: the file's fault, as in
        // read_checkpoint; the caller falls back to an older generation.
        why = reader.error() + " (found loading variable '" + v.name + "')";
        return false;
    } catch (const std::exception& ex) {
        throw Error("reprise: restore " + path + ": variable '" + v.name +
                    "' could not be decoded (" + ex.what() +
                    "); is its type the one it was saved with?", ErrorKind::mismatch);
    }
    if (source.consumed() != e.size)
        throw Error("reprise: restore " + path + ": variable '" + v.name + "' used " +
                    std::to_string(source.consumed()) + " of its " + std::to_string(e.size) +
                    " bytes; is its type the one it was saved with?", ErrorKind::mismatch);
    return true;
}

} // namespace reprise::detail

#endif
