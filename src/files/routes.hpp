#pragma once
// The HTTP side of docs/API.md "Projects and files": /api/v1/projects and the /api/v1/files/*
// routes of this folder (list, content GET/PUT, mkdir, move, trash, restore), every one
// token_required and on the worker pool (they touch the disk). JSON stays here; the services
// (Projects, Roots, ContentStore, changes.hpp) take and return plain structs.

#include "files/content.hpp"
#include "files/projects.hpp"
#include "files/roots.hpp"
#include "net/router.hpp"

namespace ailab::files {

void register_project_routes(net::Router& router, Projects& projects);
// `roots` and `content` must outlive the router.
void register_file_routes(net::Router& router, const Roots& roots, ContentStore& content);

}  // namespace ailab::files
