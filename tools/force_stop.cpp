// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

#include "force_stop.hpp"

#include "reprise/detail/parse.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace reprise::manager {

namespace {

// The parent pid of every process (/proc/PID/stat, field 4, after the parenthesized name,
// which may itself hold spaces and parentheses: proc(5)).
std::multimap<pid_t, pid_t> children_by_parent() {
    std::multimap<pid_t, pid_t> out;
    DIR* proc = ::opendir("/proc");
    if (!proc) return out;
    while (const dirent* e = ::readdir(proc)) {
        const std::optional<std::uint64_t> pid = detail::decimal(e->d_name);
        if (!pid || *pid == 0 || *pid > 4194304) continue;
        std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
        std::string text;
        if (!std::getline(stat, text)) continue;
        const auto close = text.rfind(')');
        if (close == std::string::npos) continue;
        char state = 0;
        long ppid = 0;
        if (std::sscanf(text.c_str() + close + 1, " %c %ld", &state, &ppid) != 2) continue;
        out.emplace(static_cast<pid_t>(ppid), static_cast<pid_t>(*pid));
    }
    ::closedir(proc);
    return out;
}

} // namespace

std::size_t kill_process_tree(pid_t root) noexcept {
    try {
        std::vector<pid_t> tree{root};
        ::kill(root, SIGSTOP);
        for (bool grew = true; grew;) {
            grew = false;
            const auto children = children_by_parent();
            for (std::size_t i = 0; i < tree.size(); ++i) {
                const auto range = children.equal_range(tree[i]);
                for (auto it = range.first; it != range.second; ++it) {
                    if (std::find(tree.begin(), tree.end(), it->second) != tree.end()) continue;
                    ::kill(it->second, SIGSTOP);
                    tree.push_back(it->second);
                    grew = true;
                }
            }
        }
        std::size_t killed = 0;
        for (pid_t pid : tree)
            if (::kill(pid, SIGKILL) == 0) ++killed;
        return killed;
    } catch (...) {
        return ::kill(root, SIGKILL) == 0 ? 1 : 0;
    }
}

} // namespace reprise::manager
