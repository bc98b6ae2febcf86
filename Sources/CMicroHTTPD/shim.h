#ifndef SESSION_MOCK_MHD_SHIM_H
#define SESSION_MOCK_MHD_SHIM_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <microhttpd.h>

// MHD_start_daemon is a C variadic, which Swift cannot call.
// This wrapper gives it a fixed signature; options travel as an MHD_OptionItem array.

// MHD's error log hands over a printf format and a va_list, which Swift cannot take apart:
// formatted here, then passed on as one line. Implemented in Swift (HTTPServer.swift).
void session_mock_engine_log(void *cls, const char *line);

static void
session_mock_format_log(void *cls, const char *format, va_list arguments)
{
    char line[512];
    vsnprintf(line, sizeof line, format, arguments);
    session_mock_engine_log(cls, line);
}

static inline struct MHD_Daemon *
session_mock_start_daemon(unsigned int flags,
                          MHD_AcceptPolicyCallback accept_policy,
                          MHD_AccessHandlerCallback handler,
                          void *handler_cls,
                          MHD_RequestCompletedCallback completed,
                          const struct MHD_OptionItem *options)
{
    return MHD_start_daemon(flags, 0, accept_policy, handler_cls, handler, handler_cls,
                            MHD_OPTION_EXTERNAL_LOGGER, session_mock_format_log, handler_cls,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, handler_cls,
                            MHD_OPTION_ARRAY, options,
                            MHD_OPTION_END);
}



#endif
