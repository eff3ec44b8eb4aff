/* SPDX-License-Identifier: Apache-2.0 */
/* The template module may not reach the engine (a fixture of tests/lint). */
#include "engine/engine.h"
