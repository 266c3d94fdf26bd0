using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Security;
using Gatehouse.Security.Passwords;
using Microsoft.Data.Sqlite;

// bench/Tools: helpers for bench/run.sh (see there). Every command prints one line of output.
//   hash-time <iterations> <repetitions>    one DjangoPasswordHasher.Verify at that cost, in ms (JSON)
//   hash <password> <iterations>            a Django-format hash of the password
//   seed-sqlite <db> <users> <sessions> <password-hash>
//                                           users user<i>@bench.test (verified, primary) and, per client,
//                                           sessions app<i:029>/brw<i:029> (session i of user (i-1)%users+1)
//   smtp <port> <log-file>                  accepts mail, appends "<unix ms>" per message to the log
//   seal <base64 secret key> <to> <text>    the text sealed as Gatehouse stores the text body of a mail to <to>
return args.FirstOrDefault() switch
{
    "hash-time" => HashTime(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture)),
    "hash" => Print(DjangoPasswordHasher.Hash(args[1], int.Parse(args[2], CultureInfo.InvariantCulture))),
    "seed-sqlite" => SeedSqlite(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), args[4]),
    "smtp" => await Smtp(int.Parse(args[1], CultureInfo.InvariantCulture), args[2]),
    "seal" => Print(new SecretBox(Convert.FromBase64String(args[1])).Seal(args[3], Gatehouse.Email.Mailer.TextBodyPurpose, args[2])),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Tools hash-time <iterations> <reps> | hash <password> <iterations> | seed-sqlite <db> <users> <sessions> <hash> | smtp <port> <log>");
    return 2;
}

static int Print(string line)
{
    Console.WriteLine(line);
    return 0;
}

static int HashTime(int iterations, int repetitions)
{
    // What a login costs: Verify of a stored hash at the configured cost (one PBKDF2 derivation).
    var encoded = DjangoPasswordHasher.Hash("Tr0ub4dor&3-horse", iterations);
    DjangoPasswordHasher.Verify("Tr0ub4dor&3-horse", encoded, iterations); // warm-up
    var times = new List<double>();
    for (int i = 0; i < repetitions; i++)
    {
        var watch = Stopwatch.StartNew();
        var result = DjangoPasswordHasher.Verify("Tr0ub4dor&3-horse", encoded, iterations);
        times.Add(watch.Elapsed.TotalMilliseconds);
        if (result != Microsoft.AspNetCore.Identity.PasswordVerificationResult.Success)
        {
            throw new InvalidOperationException("the hash did not verify");
        }
    }
    times.Sort();
    return Print(string.Create(CultureInfo.InvariantCulture,
        $"{{\"iterations\":{iterations},\"reps\":{repetitions},\"median_ms\":{times[times.Count / 2]:F1},\"min_ms\":{times[0]:F1},\"max_ms\":{times[^1]:F1}}}"));
}

static int SeedSqlite(string path, int users, int sessions, string passwordHash)
{
    var watch = Stopwatch.StartNew();
    using var connection = new SqliteConnection($"Data Source={path}");
    connection.Open();
    using (var pragma = connection.CreateCommand())
    {
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;";
        pragma.ExecuteNonQuery();
    }
    using var tx = connection.BeginTransaction();
    const string Now = "2025-01-01 00:00:00";
    const string Expires = "2099-01-01 00:00:00";
    // Seen just now: the session check writes last_seen_at once per session per Sessions:ActivityUpdateInterval,
    // and a seed of long-unseen sessions would measure that first write on every request instead of the
    // steady state (measured: ~15 times the CPU per request).
    var seenAt = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
    using (var user = connection.CreateCommand())
    using (var email = connection.CreateCommand())
    {
        user.Transaction = tx;
        email.Transaction = tx;
        user.CommandText = "INSERT INTO users (id, username, username_normalized, password_hash, is_active, is_staff, date_joined) VALUES ($id, NULL, NULL, $hash, 1, 0, $now)";
        email.CommandText = "INSERT INTO email_addresses (user_id, email, email_normalized, verified, is_primary, created_at) VALUES ($id, $email, $email, 1, 1, $now)";
        var uid = user.Parameters.Add("$id", SqliteType.Integer);
        user.Parameters.AddWithValue("$hash", passwordHash);
        user.Parameters.AddWithValue("$now", Now);
        var eid = email.Parameters.Add("$id", SqliteType.Integer);
        var address = email.Parameters.Add("$email", SqliteType.Text);
        email.Parameters.AddWithValue("$now", Now);
        for (int i = 1; i <= users; i++)
        {
            uid.Value = i;
            user.ExecuteNonQuery();
            eid.Value = i;
            address.Value = string.Create(CultureInfo.InvariantCulture, $"user{i}@bench.test");
            email.ExecuteNonQuery();
        }
    }
    using (var session = connection.CreateCommand())
    {
        session.Transaction = tx;
        session.CommandText = "INSERT INTO sessions (token_hash, client, user_id, state, created_at, last_seen_at, expires_at, ip, user_agent) VALUES ($hash, $client, $user, NULL, $now, $seen, $expires, '127.0.0.1', 'bench')";
        var hash = session.Parameters.Add("$hash", SqliteType.Blob);
        var client = session.Parameters.Add("$client", SqliteType.Text);
        var owner = session.Parameters.Add("$user", SqliteType.Integer);
        session.Parameters.AddWithValue("$now", Now);
        session.Parameters.AddWithValue("$seen", seenAt);
        session.Parameters.AddWithValue("$expires", Expires);
        foreach (var (prefix, wire) in new[] { ("app", "app"), ("brw", "browser") })
        {
            client.Value = wire;
            for (int i = 1; i <= sessions; i++)
            {
                hash.Value = Secrets.Sha256(string.Create(CultureInfo.InvariantCulture, $"{prefix}{i:D29}"));
                owner.Value = ((i - 1) % users) + 1;
                session.ExecuteNonQuery();
            }
        }
    }
    tx.Commit();
    return Print(string.Create(CultureInfo.InvariantCulture, $"{{\"users\":{users},\"sessions_per_client\":{sessions},\"seconds\":{watch.Elapsed.TotalSeconds:F2}}}"));
}

static async Task<int> Smtp(int port, string logPath)
{
    var listener = new TcpListener(IPAddress.Loopback, port);
    listener.Start();
    var gate = new object();
    Console.WriteLine($"smtp catcher on 127.0.0.1:{port}");
    while (true)
    {
        var client = await listener.AcceptTcpClientAsync();
        _ = Task.Run(async () =>
        {
            using (client)
            {
                try
                {
                    await Converse(client, logPath, gate);
                }
                catch (IOException)
                {
                    // the sender hung up
                }
            }
        });
    }
}

static async Task Converse(TcpClient client, string logPath, object gate)
{
    var stream = client.GetStream();
    using var reader = new StreamReader(stream, Encoding.ASCII);
    using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
    await writer.WriteLineAsync("220 bench-catcher ESMTP");
    while (await reader.ReadLineAsync() is { } line)
    {
        var verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
        switch (verb)
        {
            case "EHLO":
                await writer.WriteLineAsync("250-bench-catcher\r\n250-8BITMIME\r\n250 SMTPUTF8");
                break;
            case "DATA":
                await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                while (await reader.ReadLineAsync() is { } data && data != ".")
                {
                }
                lock (gate)
                {
                    File.AppendAllText(logPath, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "\n");
                }
                await writer.WriteLineAsync("250 queued");
                break;
            case "QUIT":
                await writer.WriteLineAsync("221 bye");
                return;
            default:
                await writer.WriteLineAsync("250 ok");
                break;
        }
    }
}
