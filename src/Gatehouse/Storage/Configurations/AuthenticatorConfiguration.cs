using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Gatehouse.Storage.Configurations;

internal sealed class AuthenticatorConfiguration : IEntityTypeConfiguration<Authenticator>
{
    public void Configure(EntityTypeBuilder<Authenticator> b)
    {
        b.ToTable("authenticators");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.UserId).HasColumnName("user_id");
        b.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        b.Property(x => x.Type).HasColumnName("type").HasMaxLength(20);
        b.Property(x => x.Data).HasColumnName("data");
        b.Property(x => x.CredentialId).HasColumnName("credential_id").HasMaxLength(1400);
        b.Property(x => x.Counter).HasColumnName("counter");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.LastUsedAt).HasColumnName("last_used_at");
    }
}

internal sealed class RecoveryCodeConfiguration : IEntityTypeConfiguration<RecoveryCode>
{
    public void Configure(EntityTypeBuilder<RecoveryCode> b)
    {
        b.ToTable("recovery_codes");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.AuthenticatorId).HasColumnName("authenticator_id");
        b.HasOne(x => x.Authenticator).WithMany().HasForeignKey(x => x.AuthenticatorId).OnDelete(DeleteBehavior.Cascade);
        b.Property(x => x.CodeHash).HasColumnName("code_hash").HasMaxLength(64);
        b.Property(x => x.UsedAt).HasColumnName("used_at");
    }
}

internal sealed class TrustedBrowserConfiguration : IEntityTypeConfiguration<TrustedBrowser>
{
    public void Configure(EntityTypeBuilder<TrustedBrowser> b)
    {
        b.ToTable("mfa_trusted_browsers");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.UserId).HasColumnName("user_id");
        b.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        b.Property(x => x.TokenHash).HasColumnName("token_hash").HasMaxLength(32);
        b.Property(x => x.AuthStamp).HasColumnName("auth_stamp").HasMaxLength(64);
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.ExpiresAt).HasColumnName("expires_at");
        b.Property(x => x.Ip).HasColumnName("ip").HasMaxLength(64);
        b.Property(x => x.UserAgent).HasColumnName("user_agent").HasMaxLength(512);
    }
}

internal sealed class TrustedBrowserSessionConfiguration : IEntityTypeConfiguration<TrustedBrowserSession>
{
    public void Configure(EntityTypeBuilder<TrustedBrowserSession> b)
    {
        b.ToTable("mfa_trusted_browser_sessions");
        b.HasKey(x => new { x.TrustedBrowserId, x.SessionId });
        b.Property(x => x.TrustedBrowserId).HasColumnName("trusted_browser_id");
        b.Property(x => x.SessionId).HasColumnName("session_id");
        b.HasOne(x => x.TrustedBrowser).WithMany().HasForeignKey(x => x.TrustedBrowserId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(x => x.Session).WithMany().HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => x.SessionId).HasDatabaseName("ix_mfa_trusted_browser_sessions_session_id");
    }
}
