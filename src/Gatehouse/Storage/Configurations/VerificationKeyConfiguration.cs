using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Gatehouse.Storage.Configurations;

internal sealed class VerificationKeyConfiguration : IEntityTypeConfiguration<VerificationKey>
{
    public void Configure(EntityTypeBuilder<VerificationKey> b)
    {
        b.ToTable("verification_keys");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.Purpose).HasColumnName("purpose").HasMaxLength(32);
        b.Property(x => x.KeyHash).HasColumnName("key_hash").HasMaxLength(32);
        b.HasIndex(x => x.KeyHash).IsUnique();
        b.Property(x => x.UserId).HasColumnName("user_id");
        b.HasOne(x => x.User).WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        b.Property(x => x.Email).HasColumnName("email").HasMaxLength(254);
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.ExpiresAt).HasColumnName("expires_at");
        b.Property(x => x.ConsumedAt).HasColumnName("consumed_at");
    }
}
