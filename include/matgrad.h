/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad umbrella header: includes every public module header. */
#ifndef MATGRAD_H
#define MATGRAD_H

#include "matgrad/core.h"
#include "matgrad/lstsq.h"
#include "matgrad/fit.h"
#include "matgrad/linreg.h"
#include "matgrad/layer.h"
#include "matgrad/rules.h"
#include "matgrad/act.h"
#include "matgrad/fd.h"
#include "matgrad/dist.h"
#include "matgrad/infer.h"
#include "matgrad/window.h"

#endif /* MATGRAD_H */
