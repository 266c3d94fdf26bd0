using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Gatehouse.Storage.Configurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> b)
    {
        b.ToTable("users");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.Username).HasColumnName("username").HasMaxLength(150);
        b.Property(x => x.UsernameNormalized).HasColumnName("username_normalized").HasMaxLength(150);
        b.HasIndex(x => x.UsernameNormalized).IsUnique();
        b.Property(x => x.PasswordHash).HasColumnName("password_hash").HasMaxLength(256);
        b.Property(x => x.IsActive).HasColumnName("is_active");
        b.Property(x => x.IsStaff).HasColumnName("is_staff");
        b.Property(x => x.DateJoined).HasColumnName("date_joined");
        b.Property(x => x.LastLogin).HasColumnName("last_login");
        b.Property(x => x.SecurityStamp).HasColumnName("security_stamp").HasMaxLength(64);
        b.HasMany(x => x.EmailAddresses).WithOne(x => x.User).HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
