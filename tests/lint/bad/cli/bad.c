/* SPDX-License-Identifier: Apache-2.0 */
/* flytectl may not include the engine (a fixture of tests/lint). */
#include "engine/engine.h"
