/**
 * @file crashport/crashport.h
 * @brief Umbrella header: includes the whole stable public API.
 */
#ifndef CRP_CRASHPORT_H
#define CRP_CRASHPORT_H

#include "crashport/common.h"
#include "crashport/error.h"
#include "crashport/value.h"
#include "crashport/report.h"
#include "crashport/parse.h"
#include "crashport/emit.h"
#include "crashport/convert.h"
#include "crashport/format.h"
#include "crashport/crpb.h"
#include "crashport/symbols.h"
#include "crashport/breakpad.h"
#include "crashport/demangle.h"
#include "crashport/validate.h"
#include "crashport/version.h"

#endif
