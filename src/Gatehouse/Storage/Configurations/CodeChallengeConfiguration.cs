using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Gatehouse.Storage.Configurations;

internal sealed class CodeChallengeConfiguration : IEntityTypeConfiguration<CodeChallenge>
{
    public void Configure(EntityTypeBuilder<CodeChallenge> b)
    {
        b.ToTable("code_challenges");
        b.HasKey(x => x.Key);
        b.Property(x => x.Key).HasColumnName("key").HasMaxLength(64).ValueGeneratedNever();
        b.Property(x => x.Purpose).HasColumnName("purpose").HasMaxLength(32);
        b.Property(x => x.CodeHash).HasColumnName("code_hash").HasMaxLength(64);
        b.Property(x => x.Attempts).HasColumnName("attempts");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.ExpiresAt).HasColumnName("expires_at");
        b.Property(x => x.ConsumedAt).HasColumnName("consumed_at");
    }
}
