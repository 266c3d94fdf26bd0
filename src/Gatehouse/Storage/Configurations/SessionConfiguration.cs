using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Gatehouse.Storage.Configurations;

internal sealed class SessionConfiguration : IEntityTypeConfiguration<Session>
{
    public void Configure(EntityTypeBuilder<Session> b)
    {
        b.ToTable("sessions");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.TokenHash).HasColumnName("token_hash").HasMaxLength(32);
        b.HasIndex(x => x.TokenHash).IsUnique();
        b.Property(x => x.Client).HasColumnName("client").HasMaxLength(16);
        b.Property(x => x.UserId).HasColumnName("user_id");
        b.Property(x => x.AuthStamp).HasColumnName("auth_stamp").HasMaxLength(64);
        b.HasOne(x => x.User).WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        b.Property(x => x.State).HasColumnName("state");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.LastSeenAt).HasColumnName("last_seen_at");
        b.Property(x => x.ExpiresAt).HasColumnName("expires_at");
        b.Property(x => x.Ip).HasColumnName("ip").HasMaxLength(64);
        b.Property(x => x.UserAgent).HasColumnName("user_agent").HasMaxLength(512);
    }
}
