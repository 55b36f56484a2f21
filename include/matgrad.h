/* matgrad umbrella header: includes every public module header. */
#ifndef MATGRAD_H
#define MATGRAD_H

#include "matgrad/core.h"
#include "matgrad/lstsq.h"
#include "matgrad/linreg.h"

#endif /* MATGRAD_H */
