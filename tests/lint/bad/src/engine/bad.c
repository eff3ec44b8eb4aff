/* SPDX-License-Identifier: Apache-2.0 */
/* A file that breaks both include rules (a fixture of tests/lint). */
#include <sqlite3.h>
#include "http/request.h"
