// The `ftppr` service: an FTP proxy. The client logs in as USER name@host[:port]
// (conn_login.hpp) and PASS; proxyd logs in to that server and then reads every command:
// PASV/EPSV make proxyd listen for the client's data connection, PORT/EPRT make it
// connect back to the client; each transfer (RETR, STOR, APPE, LIST, NLST, MLSD) is
// checked against the ACL as FTP_GET, FTP_PUT or FTP_LIST, fetched from the server
// in passive mode and logged on its own line. Other commands are passed through.
#pragma once

#include <deque>
#include <optional>
#include <string>

#include "conn_login.hpp"
#include "session.hpp"

namespace proxyd {

class FtpSession final : public Session {
  public:
    using Session::Session;

  private:
    // What the next complete reply from the server answers.
    enum class Awaiting : std::uint8_t {
        nothing,
        greeting,  // the server's greeting, before USER goes out
        user,      // USER name
        password,  // PASS
        reply,     // a passed-through command: the reply goes to the client
        pasv,      // our PASV/EPSV before a transfer
        transfer,  // the transfer command: 1xx, then the final reply after the data
        quit
    };
    enum class DataMode : std::uint8_t { none, passive, active };

    struct DataEndpoint final : IoHandler {
        DataEndpoint(FtpSession& s, int w) : session(s), which(w) {}
        void on_io(std::uint32_t events) override { session.on_data_event(which, events); }
        FtpSession& session;
        int which;  // 0 listener, 1 client data, 2 server data
    };

    void on_start() override;
    void on_client_event() override;
    void on_upstream_event() override;
    void on_resolved(const std::string& error) override;
    void on_connected() override;
    void on_connect_failed(int code, int err) override;
    void on_data_event(int which, std::uint32_t events);

    void read_client_lines();
    void process_client_lines();
    bool command(const std::string& line);  // false when the session ended
    void take_user(const std::string& argument);
    void send_upstream(std::string_view text);
    bool flush_upstream();
    void server_reply(const std::string& line, bool final);
    void login_reply(const std::string& line, bool final);
    void open_passive(bool extended);
    void open_active(const std::string& line, bool extended);
    void begin_transfer(const std::string& line, std::uint32_t operation);
    void connect_server_data(const std::string& pasv_reply);
    void maybe_start_data();
    void pump_data();
    void end_transfer(bool completed);
    void drop_data();
    void log_transfer(int code, std::string_view reason);
    bool acl_allows(std::uint32_t operation, proxycfg::Verdict& verdict) const;
    void refuse(std::string_view reply, int code, std::string_view reason);
    // Still reading commands: not yet ended, nor lingering on a last reply.
    bool talking() const { return phase_ == Phase::handshake || phase_ == Phase::custom; }

    std::string in_;
    std::string up_in_;
    std::string to_server_;
    std::deque<std::string> client_lines_;
    Awaiting awaiting_ = Awaiting::nothing;
    std::string server_user_;
    std::string password_line_;  // PASS, kept until the server asks for it
    bool logged_in_ = false;
    bool heard_ = false;

    // Data connection state: one transfer at a time, as in FTP itself.
    DataMode mode_ = DataMode::none;
    UniqueFd listener_;     // passive: where the client connects
    UniqueFd client_data_;  // the client's data connection
    UniqueFd server_data_;  // to the server's passive port
    bool client_data_ready_ = false;
    bool server_data_ready_ = false;
    bool active_connecting_ = false;  // PORT/EPRT: 200 goes out once connected
    std::string transfer_command_;    // "RETR file", for the server and the log
    std::uint32_t transfer_op_ = 0;
    std::optional<Relay> data_relay_;
    bool data_open_ = false;        // the transfer's data connection is not over yet
    bool saw_preliminary_ = false;  // the server said 1xx: data flows, its final reply waits
    std::optional<std::string> held_final_;  // the server's final reply, after the data
    std::uint64_t transfer_in_ = 0;
    std::uint64_t transfer_out_ = 0;
    DataEndpoint listener_endpoint_{*this, 0};
    DataEndpoint client_data_endpoint_{*this, 1};
    DataEndpoint server_data_endpoint_{*this, 2};
};

}  // namespace proxyd
