/* matgrad umbrella header: includes every public module header. */
#ifndef MATGRAD_H
#define MATGRAD_H

#include "matgrad/core.h"
#include "matgrad/linreg.h"
#include "matgrad/lstsq.h"

#endif /* MATGRAD_H */
