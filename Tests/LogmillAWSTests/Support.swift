import LogmillTestSupport

typealias TestHTTPServer = ScriptedHTTPServer
