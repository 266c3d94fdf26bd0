using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Gatehouse.Storage.Configurations;

internal sealed class EmailAddressConfiguration : IEntityTypeConfiguration<EmailAddress>
{
    public void Configure(EntityTypeBuilder<EmailAddress> b)
    {
        b.ToTable("email_addresses");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.UserId).HasColumnName("user_id");
        b.Property(x => x.Email).HasColumnName("email").HasMaxLength(254);
        b.Property(x => x.EmailNormalized).HasColumnName("email_normalized").HasMaxLength(254);
        b.HasIndex(x => x.EmailNormalized).IsUnique();
        b.Property(x => x.Verified).HasColumnName("verified");
        b.Property(x => x.IsPrimary).HasColumnName("is_primary");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.LastConfirmationSentAt).HasColumnName("last_confirmation_sent_at");
    }
}
