using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Gatehouse.Storage.Configurations;

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKey>
{
    public void Configure(EntityTypeBuilder<SigningKey> b)
    {
        b.ToTable("signing_keys");
        b.HasKey(x => x.Kid);
        b.Property(x => x.Kid).HasColumnName("kid").HasMaxLength(64);
        b.Property(x => x.Generation).HasColumnName("generation");
        b.HasIndex(x => x.Generation).IsUnique();
        b.Property(x => x.Algorithm).HasColumnName("algorithm").HasMaxLength(16);
        b.Property(x => x.PrivateKey).HasColumnName("private_key");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.ActivatesAt).HasColumnName("activates_at");
    }
}
