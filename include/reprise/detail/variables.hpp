// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_VARIABLES_HPP
#define REPRISE_DETAIL_VARIABLES_HPP

// The variables a program tracks and the parameters it records: what a save serializes
// and a restore loads, with the checks that decide, before a single variable is assigned,
// whether a checkpoint is this program's (the same names, the same types, the same
// parameters).

#include "reprise/archive.hpp"
#include "reprise/detail/config.hpp"
#include "reprise/detail/format_layout.hpp"
#include "reprise/detail/type_name.hpp"
#include "reprise/error.hpp"
#include "reprise/track_flags.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace reprise::detail {

struct VerifiedCheckpoint; // format_reader.hpp
class PayloadReader;      // format_reader.hpp

// A run parameter as the header records it (Checkpointer::parameter()).
template <class T>
ParameterEntry make_parameter(std::string name, const T& value) {
    static_assert(std::is_arithmetic<T>::value || std::is_constructible<std::string, const T&>::value,
                  "reprise: parameter() takes an integer, a floating-point number, a bool "
                  "or a string");
    ParameterEntry entry;
    if constexpr (std::is_same<T, bool>::value) {
        entry.kind = ParameterKind::boolean;
        entry.value = value ? "true" : "false";
    } else if constexpr (std::is_integral<T>::value) {
        entry.kind = ParameterKind::integer;
        entry.value = std::to_string(value);
    } else if constexpr (std::is_floating_point<T>::value) {
        entry.kind = ParameterKind::floating;
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", static_cast<double>(value)); // round-trips
        entry.value = text;
    } else {
        entry.kind = ParameterKind::string;
        entry.value = std::string(value);
    }
    entry.name = std::move(name);
    return entry;
}

class VariableSet {
public:
    // Registers `var` under `name`, by reference. The per-type part is two function
    // pointers; everything else is shared by all types.
    template <class T>
    void track(std::string name, T& var, TrackFlags flags) {
        check_new("track", "variable", name, "register every variable before restoring",
                  [&](const std::string& n) { return find(n) != variables_.end(); });
        variables_.push_back(Variable{std::move(name), type_name<T>(), flags, &var,
                                      [](OutputArchive& ar, void* p) { ar(*static_cast<T*>(p)); },
                                      [](InputArchive& ar, void* p) { ar(*static_cast<T*>(p)); }});
    }

    void add_parameter(ParameterEntry entry) {
        check_new("parameter", "parameter", entry.name, "record every parameter before restoring",
                  [&](const std::string& n) {
                      return std::any_of(parameters_.begin(), parameters_.end(),
                                         [&](const auto& p) { return p.name == n; });
                  });
        parameters_.push_back(std::move(entry));
    }

    // A restore began: nothing more may be registered.
    void seal() noexcept { sealed_ = true; }
    bool sealed() const noexcept { return sealed_; }

    // The variables' names and types and the parameters, into a new header; the offsets
    // and sizes are filled by serialize().
    void describe(Header& header) const {
        for (const auto& v : variables_) header.variables.push_back({v.name, v.type, 0, 0});
        header.parameters = parameters_;
    }

    // Serializes every variable into `sink`, each as its own archive, recording where
    // each one starts and how long it is in `header` (made by describe()).
    template <class Sink>
    void serialize(Sink& sink, Header& header) const {
        for (std::size_t i = 0; i < variables_.size(); ++i) {
            header.variables[i].offset = sink.size();
            {
                OutputArchive archive(sink);
                variables_[i].save(archive, variables_[i].object);
            }
            header.variables[i].size = sink.size() - header.variables[i].offset;
        }
    }

    // Loads the variables from a file read_checkpoint opened (Verify::as_loaded: the
    // payload's chunks verified as they are read). False, with the reason in `why`, when
    // reading it failed or a chunk did not verify: the file's fault, as in read_checkpoint,
    // and the caller falls back to an older generation, which assigns every variable again
    // (the variables hold what this file's good chunks gave them meanwhile).
    // @throws Error when the variables, their types or the parameters differ, or when a
    //         variable does not decode (no fallback: a different program, not a damaged
    //         file).
    bool load(const VerifiedCheckpoint& file, const std::string& path, std::string& why);

    // What the last load() left as it was ("; 'x' not in the checkpoint, kept its
    // value"), for the restore's line on stderr; "" when nothing.
    const std::string& restore_note() const noexcept { return note_; }

private:
    struct Variable {
        std::string name;
        std::string type; // type_name<T>(), recorded in every save
        TrackFlags flags;
        void* object;
        void (*save)(OutputArchive&, void*);
        void (*load)(InputArchive&, void*);
    };

    static bool has(TrackFlags flags, TrackFlags flag) noexcept {
        return (static_cast<unsigned>(flags) & static_cast<unsigned>(flag)) != 0;
    }

    std::vector<Variable>::iterator find(const std::string& name) {
        return std::find_if(variables_.begin(), variables_.end(),
                            [&](const Variable& v) { return v.name == name; });
    }

    static std::vector<VariableEntry>::const_iterator entry_of(const Header& header,
                                                               const std::string& name);

    // track()'s and parameter()'s checks: a non-empty, new name, before any restore.
    template <class Exists>
    void check_new(const char* call, const char* what, const std::string& name,
                   const char* advice, Exists&& exists) const {
        if (name.empty())
            throw Error(std::string("reprise: ") + call + "(): a " + what + " needs a non-empty name");
        const std::string prefix = std::string("reprise: ") + call + "(\"" + name + "\")";
        if (sealed_) throw Error(prefix + " after restore(): " + advice);
        if (exists(name))
            throw Error(prefix + ": a " + what + " of that name is already " +
                        (std::string(what) == "variable" ? "tracked" : "recorded"));
    }

    // The same names on both sides, or no variable is touched: a different program's
    // checkpoint is not a corrupt file, and no older generation would fit better. A
    // variable tracked with reprise::new_variable may be missing: it keeps its value.
    void check_names(const Header& header, const std::string& path);

    // The same types, where the file records them (format 2 on): a restore into another
    // type would misread the bytes, or worse, read them "successfully".
    void check_types(const Header& header, const std::string& path) const;

    // Throws when the checkpoint's parameters differ from the ones recorded: each one that
    // differs, is missing or is extra, with both values.
    void check_parameters(const Header& header, const std::string& path) const;

    // Decodes one variable from its range of the payload; false with `why` on a read
    // error or a chunk that does not verify.
    static bool load_one(PayloadReader& reader, const std::string& path,
                         const Variable& v, const VariableEntry& e, std::string& why);

    std::vector<Variable> variables_;
    std::vector<ParameterEntry> parameters_; // recorded by parameter(), in order
    std::string note_;
    bool sealed_ = false;
};

} // namespace reprise::detail

#if !defined(REPRISE_SEPARATE_COMPILATION)
#include "reprise/detail/variables_impl.hpp"
#endif

#endif
